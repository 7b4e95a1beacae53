package rank_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// writeGolden writes rows with write, checks the output against the golden
// file name, and returns it.
func writeGolden(t *testing.T, name string, write func(io.Writer, []herald.ReportRow) error, rows []herald.ReportRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	golden(t, name, buf.Bytes())
	return buf.Bytes()
}

var pub = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

// sampleRows are three ranked stories, one with a long title and one with
// a title that tries to put an escape sequence on the terminal.
func sampleRows() ([]herald.ReportRow, map[int64][]herald.SeriesPoint) {
	rows := make([]herald.ReportRow, 3)
	rows[0] = herald.ReportRow{Rank: 1, ArticleID: 41, Title: "Venezuela’s opposition names its candidate – and the region holds its breath",
		URL: "https://example.com/venezuela/candidate", Section: "venezuela", PublishedAt: pub,
		Score: 143, Shares: 15, Reactions: 70, Comments: 13, Clicks: 2, Impressions: 1000}
	rows[0].Twitter.Retweets, rows[0].Twitter.Quotes, rows[0].Twitter.Likes = 10, 2, 50
	rows[0].Twitter.Replies, rows[0].Twitter.Impressions = 5, 1000
	rows[0].Facebook.Shares, rows[0].Facebook.Reactions, rows[0].Facebook.Comments = 3, 20, 8
	rows[1] = herald.ReportRow{Rank: 2, ArticleID: 42, Title: "Peso\x1b[31m steadies,\n\tthen slips", URL: "https://example.com/business/peso",
		Section: "business", PublishedAt: pub.Add(2 * time.Hour), Score: 106.5, Shares: 30, Reactions: 5, Comments: 1, Clicks: 9}
	rows[1].Twitter.Retweets, rows[1].Twitter.Likes, rows[1].Twitter.Replies = 30, 5, 1
	rows[2] = herald.ReportRow{Rank: 3, ArticleID: 43, Title: "Quiet day in Bogotá", URL: "https://example.com/colombia/quiet",
		Section: "colombia", PublishedAt: pub.Add(-20 * time.Hour)}
	series := map[int64][]herald.SeriesPoint{
		41: {{At: pub, Shares: 0}, {At: pub.Add(time.Hour), Shares: 4}, {At: pub.Add(2 * time.Hour), Shares: 9},
			{At: pub.Add(3 * time.Hour), Shares: 15}},
		42: {{At: pub, Shares: 30}},
	}
	return rows, series
}

func TestWriteTableGolden(t *testing.T) {
	rows, series := sampleRows()
	for _, tc := range []struct {
		name string
		opts rank.TableOptions
	}{
		{"table.golden", rank.TableOptions{Width: 100, Location: time.UTC}},
		{"table_wide.golden", rank.TableOptions{Width: 140, Location: time.UTC}},
		{"table_narrow.golden", rank.TableOptions{Width: 40, Location: time.UTC}},
		{"table_twitter.golden", rank.TableOptions{Width: 80, Location: time.UTC, Network: herald.Twitter}},
		{"table_color.golden", rank.TableOptions{Width: 100, Location: time.UTC, Color: true}},
	} {
		var buf bytes.Buffer
		if err := rank.WriteTable(&buf, rows, series, tc.opts); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, "\x1b[31m") {
			t.Errorf("%s: a title's escape sequence reached the terminal", tc.name)
		}
		if !tc.opts.Color && strings.Contains(out, "\x1b") {
			t.Errorf("%s: colour without Color", tc.name)
		}
		if tc.opts.Width >= 100 {
			for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
				if w := twwidth.Width(l); w > tc.opts.Width {
					t.Errorf("%s: line of width %d > %d: %q", tc.name, w, tc.opts.Width, l)
				}
			}
		}
		golden(t, tc.name, buf.Bytes())
	}
}

func TestWriteTableCutsTitlesToTheWidth(t *testing.T) {
	rows, series := sampleRows()
	var wide, narrow bytes.Buffer
	if err := rank.WriteTable(&wide, rows, series, rank.TableOptions{Width: 200}); err != nil {
		t.Fatal(err)
	}
	if err := rank.WriteTable(&narrow, rows, series, rank.TableOptions{Width: 100}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(wide.String(), rows[0].Title) || strings.Contains(wide.String(), "…") {
		t.Errorf("wide table cut a title:\n%s", wide.String())
	}
	if strings.Contains(narrow.String(), rows[0].Title) || !strings.Contains(narrow.String(), "Venezuela’s opposition") ||
		!strings.Contains(narrow.String(), "…") {
		t.Errorf("narrow table did not cut the long title with …:\n%s", narrow.String())
	}
}

func TestSparkline(t *testing.T) {
	at := func(h int) time.Time { return pub.Add(time.Duration(h) * time.Hour) }
	points := func(vals ...int64) []herald.SeriesPoint {
		var ps []herald.SeriesPoint
		for i, v := range vals {
			ps = append(ps, herald.SeriesPoint{At: at(i), Shares: v})
		}
		return ps
	}
	for _, tc := range []struct {
		ps    []herald.SeriesPoint
		width int
		want  string
	}{
		{nil, 12, ""},
		{points(5), 12, "▁"},
		{points(3, 3, 3), 12, "▁▁▁"},
		{points(0, 1, 2, 3, 4, 5, 6, 7), 12, "▁▂▃▄▅▆▇█"},
		{points(100, 107), 12, "▁█"},
		// More readings than room: the latest of each equal span of time.
		{points(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 4, "▁▃▅█"},
		// Uneven readings: spans without one repeat the last value.
		{[]herald.SeriesPoint{{At: at(0), Shares: 0}, {At: at(1), Shares: 2}, {At: at(2), Shares: 4},
			{At: at(3), Shares: 8}, {At: at(12), Shares: 16}}, 4, "▁▁▁█"},
	} {
		if got := rank.Sparkline(tc.ps, tc.width); got != tc.want {
			t.Errorf("Sparkline(%v, %d) = %q, want %q", tc.ps, tc.width, got, tc.want)
		}
	}
}

func TestWriteJSONGolden(t *testing.T) {
	rows, _ := sampleRows()
	out := writeGolden(t, "report.json.golden", rank.WriteJSON, rows)
	// The fields the site relies on.
	var got []map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rank", "article_id", "title", "url", "section", "published_at", "score", "shares",
		"reactions", "comments", "clicks", "twitter", "facebook"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	for _, k := range []string{"retweets", "quotes", "likes", "replies", "impressions"} {
		if _, ok := got[0]["twitter"].(map[string]any)[k]; !ok {
			t.Errorf("JSON lacks twitter.%s", k)
		}
	}
	for _, k := range []string{"shares", "reactions", "comments"} {
		if _, ok := got[0]["facebook"].(map[string]any)[k]; !ok {
			t.Errorf("JSON lacks facebook.%s", k)
		}
	}
	var buf bytes.Buffer
	if err := rank.WriteJSON(&buf, nil); err != nil || buf.String() != "[]\n" {
		t.Errorf("no rows: %q, %v; want an empty array", buf.String(), err)
	}
}

func TestWriteCSVGolden(t *testing.T) {
	rows, _ := sampleRows()
	writeGolden(t, "report.csv.golden", rank.WriteCSV, rows)
}

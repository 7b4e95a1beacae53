package rank_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

// fourNetworkRows are stories posted to all four networks, summed as the
// stores sum them (herald.ReportRow.Add) from the counters each network's
// reader records: Mastodon's boosts, favourites and replies as shares,
// reactions and comments; Bluesky's reposts (quote posts with them),
// likes and replies likewise. The second story's Bluesky quote posts are
// recorded apart, as Quotes.
func fourNetworkRows() []herald.ReportRow {
	type story struct {
		title, section string
		ago            time.Duration
		x, fb, m, b    herald.Engagement
		clicks         int64
	}
	stories := []story{
		{"Flood defences hold as the river peaks", "national", 0,
			herald.Engagement{Retweets: 12, Quotes: 3, Likes: 80, Replies: 9, Impressions: 4000},
			herald.Engagement{Shares: 7, Reactions: 55, Comments: 14},
			herald.Engagement{Shares: 21, Reactions: 64, Comments: 5},
			herald.Engagement{Shares: 17, Reactions: 90, Comments: 11}, 3},
		{"Council votes on the night-bus budget", "city", time.Hour,
			herald.Engagement{Retweets: 2, Likes: 10, Replies: 1, Impressions: 300},
			herald.Engagement{Shares: 1, Reactions: 6},
			herald.Engagement{Shares: 4, Reactions: 12, Comments: 2},
			herald.Engagement{Shares: 6, Quotes: 2, Reactions: 15, Comments: 3}, 0},
		{"Quiet day at the port", "city", 2 * time.Hour, herald.Engagement{}, herald.Engagement{},
			herald.Engagement{}, herald.Engagement{}, 0},
	}
	rows := make([]herald.ReportRow, len(stories))
	for i, s := range stories {
		r := herald.ReportRow{Rank: i + 1, ArticleID: int64(71 + i), Title: s.title,
			URL: "https://example.com/" + strconv.Itoa(71+i), Section: s.section, PublishedAt: pub.Add(-s.ago)}
		r.Add(herald.Twitter, s.x, s.clicks)
		r.Add(herald.Facebook, s.fb, 0)
		r.Add(herald.Mastodon, s.m, 0)
		r.Add(herald.Bluesky, s.b, 0)
		r.Score = herald.DefaultWeights.Score(r)
		rows[i] = r
	}
	return rows
}

// networkCells are, by column, cells of fourNetworkRows and the legend.
var networkCells = map[string][]string{
	"X":        {"15/80/9", "X: retweets+quotes/likes/replies"},
	"FB":       {"7/55/14", "FB: shares/reactions/comments"},
	"MASTODON": {"21/64/5", "4/12/2", "Mastodon: boosts/favourites/replies"},
	"BLUESKY":  {"17/90/11", "8/15/3", "Bluesky: reposts+quotes/likes/replies"},
}

func TestWriteTableFourNetworksGolden(t *testing.T) {
	rows := fourNetworkRows()
	series := map[int64][]herald.SeriesPoint{71: {{At: pub, Shares: 10}, {At: pub.Add(time.Hour), Shares: 60}}}
	for _, tc := range []struct {
		name    string
		opts    rank.TableOptions
		columns []string // network columns, in order
	}{
		{"table_networks.golden", rank.TableOptions{Width: 100, Location: time.UTC}, []string{"X", "FB", "MASTODON", "BLUESKY"}},
		{"table_networks_wide.golden", rank.TableOptions{Width: 160, Location: time.UTC}, []string{"X", "FB", "MASTODON", "BLUESKY"}},
		{"table_mastodon.golden", rank.TableOptions{Width: 80, Location: time.UTC, Network: herald.Mastodon}, []string{"MASTODON"}},
		{"table_bluesky.golden", rank.TableOptions{Width: 80, Location: time.UTC, Network: herald.Bluesky}, []string{"BLUESKY"}},
	} {
		var buf bytes.Buffer
		if err := rank.WriteTable(&buf, rows, series, tc.opts); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		var heads []string
		for _, h := range strings.Fields(lines[0]) {
			if slices.Contains([]string{"X", "FB", "MASTODON", "BLUESKY"}, h) {
				heads = append(heads, h)
			}
		}
		if !slices.Equal(heads, tc.columns) {
			t.Errorf("%s: network columns %v, want %v\n%s", tc.name, heads, tc.columns, out)
		}
		for _, l := range lines {
			if w := twwidth.Width(l); w > tc.opts.Width {
				t.Errorf("%s: line of width %d > %d: %q", tc.name, w, tc.opts.Width, l)
			}
		}
		// Each network's cells, and the legend naming their figures.
		for _, h := range tc.columns {
			for _, want := range networkCells[h] {
				if !strings.Contains(out, want) {
					t.Errorf("%s: no %q\n%s", tc.name, want, out)
				}
			}
		}
		golden(t, tc.name, buf.Bytes())
	}
}

// A newsroom on X and Facebook alone sees no Mastodon or Bluesky column.
func TestWriteTableLeavesOutNetworksNotPostedTo(t *testing.T) {
	rows, series := sampleRows()
	var buf bytes.Buffer
	if err := rank.WriteTable(&buf, rows, series, rank.TableOptions{Width: 100}); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); strings.Contains(out, "MASTODON") || strings.Contains(out, "BLUESKY") ||
		strings.Contains(out, "Mastodon") || strings.Contains(out, "Bluesky") {
		t.Errorf("columns of networks not posted to:\n%s", out)
	}
}

func TestWriteJSONFourNetworksGolden(t *testing.T) {
	out := writeGolden(t, "report_networks.json.golden", rank.WriteJSON, fourNetworkRows())
	var got []map[string]map[string]any
	dec := json.NewDecoder(bytes.NewReader(out))
	var raw []map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		m := map[string]map[string]any{}
		for _, k := range []string{"twitter", "facebook", "mastodon", "bluesky"} {
			var v map[string]any
			if err := json.Unmarshal(r[k], &v); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			m[k] = v
		}
		got = append(got, m)
	}
	want := map[string]map[string]any{
		"mastodon": {"boosts": 21.0, "favourites": 64.0, "replies": 5.0},
		"bluesky":  {"reposts": 17.0, "quotes": 0.0, "likes": 90.0, "replies": 11.0},
	}
	for n, fields := range want {
		for k, v := range fields {
			if got[0][n][k] != v {
				t.Errorf("%s.%s = %v, want %v", n, k, got[0][n][k], v)
			}
		}
	}
	if q := got[1]["bluesky"]["quotes"]; q != 2.0 {
		t.Errorf("bluesky.quotes of the second story = %v, want 2", q)
	}
	// Go readers get the figures back through rank.Row.
	var back []rank.Row
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if back[0].Mastodon.Boosts != 21 || back[1].Bluesky.Quotes != 2 || back[0].Twitter.Retweets != 12 {
		t.Errorf("decoded rows: %+v", back[:2])
	}
}

func TestWriteCSVFourNetworksGolden(t *testing.T) {
	out := writeGolden(t, "report_networks.csv.golden", rank.WriteCSV, fourNetworkRows())
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(rec []string, name string) int64 {
		t.Helper()
		i := slices.Index(recs[0], name)
		if i < 0 {
			t.Fatalf("no column %q in %v", name, recs[0])
		}
		n, err := strconv.ParseInt(rec[i], 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return n
	}
	// Every network's figures add up to the totals.
	for _, rec := range recs[1:] {
		shares := col(rec, "twitter_retweets") + col(rec, "twitter_quotes") + col(rec, "facebook_shares") +
			col(rec, "mastodon_boosts") + col(rec, "bluesky_reposts") + col(rec, "bluesky_quotes")
		reactions := col(rec, "twitter_likes") + col(rec, "facebook_reactions") + col(rec, "mastodon_favourites") +
			col(rec, "bluesky_likes")
		comments := col(rec, "twitter_replies") + col(rec, "facebook_comments") + col(rec, "mastodon_replies") +
			col(rec, "bluesky_replies")
		if shares != col(rec, "shares") || reactions != col(rec, "reactions") || comments != col(rec, "comments") {
			t.Errorf("row %s: networks sum to %d/%d/%d, totals %d/%d/%d", rec[0], shares, reactions, comments,
				col(rec, "shares"), col(rec, "reactions"), col(rec, "comments"))
		}
	}
	if col(recs[1], "mastodon_boosts") != 21 || col(recs[1], "bluesky_likes") != 90 || col(recs[2], "bluesky_quotes") != 2 {
		t.Errorf("figures: %v", recs[1:3])
	}
}

// Columns are only added: the header starts with the columns it always had,
// in their order.
func TestWriteCSVKeepsItsFirstColumns(t *testing.T) {
	var buf bytes.Buffer
	if err := rank.WriteCSV(&buf, nil); err != nil {
		t.Fatal(err)
	}
	head := strings.Split(strings.TrimSpace(buf.String()), ",")
	first := []string{"rank", "article_id", "title", "url", "section", "published_at", "score",
		"shares", "reactions", "comments", "clicks", "impressions",
		"twitter_retweets", "twitter_quotes", "twitter_likes", "twitter_replies", "twitter_impressions",
		"facebook_shares", "facebook_reactions", "facebook_comments"}
	if len(head) < len(first) || !slices.Equal(head[:len(first)], first) {
		t.Errorf("header %v does not start with %v", head, first)
	}
}

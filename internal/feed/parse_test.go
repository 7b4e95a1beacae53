package feed

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

func readFeed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "feeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		file, format, hub, self, first string
		items                          int
	}{
		{"rss090.xml", "rss 0.9", "", "", "Flood warning issued for Lower Valley", 2},
		{"rss091.xml", "rss 0.91", "", "", "Flood warning issued for Lower Valley", 2},
		{"rss10.xml", "rss 1.0", "", "", "Flood warning issued for Lower Valley", 2},
		{"rss20.xml", "rss 2.0", "https://hub.example.net/", "https://www.rivertonledger.example/rss/latest.xml",
			"Flood warning issued for Lower & Upper Valley", 5},
		{"atom03.xml", "atom 0.3", "", "", "Flood warning issued for Lower Valley", 2},
		{"atom10.xml", "atom 1.0", "https://pubsubhubbub.example.com/", "https://www.rivertonledger.example/atom.xml",
			"Flood warning & shelters", 2},
		{"feed11.json", "json 1.1", "https://websub.example.org/hub", "https://www.rivertonledger.example/feed.json",
			"Flood warning issued for Lower Valley", 2},
		{"sample.xml", "rss 2.0", "", "https://www.rivertonledger.example/rss/latest.xml",
			"Flood warning issued for Lower Valley as river crests above 18 feet", 10},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, info, err := parse(readFeed(t, tt.file), "")
			if err != nil {
				t.Fatal(err)
			}
			if info.Format != tt.format || info.HubURL != tt.hub || info.SelfURL != tt.self || info.Items != tt.items {
				t.Errorf("info = %+v, want format %q hub %q self %q items %d", info, tt.format, tt.hub, tt.self, tt.items)
			}
			items, _ := newMapper(f, "", time.Now()).items(f)
			if len(items) == 0 || items[0].Title != tt.first {
				t.Fatalf("first item = %+v, want title %q", items, tt.first)
			}
			if !strings.HasPrefix(items[0].URL, "https://www.rivertonledger.example/") {
				t.Errorf("first URL = %q", items[0].URL)
			}
		})
	}
}

func TestMapItems(t *testing.T) {
	f, info, err := parse(readFeed(t, "rss20.xml"), "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	items, skipped := newMapper(f, "https://feeds.example/rss", now).items(f)
	herald.IntakeRules{Breaking: []string{"Breaking News"}, Targets: []herald.IntakeTarget{{Account: "x_main"}}}.Prepare(items, now)
	if len(items) != 4 || len(skipped) != 1 || skipped[0].Title != "An item with no link at all" {
		t.Fatalf("items %d, skipped %+v; want 4 and the linkless item", len(items), skipped)
	}
	_ = info
	first := items[0]
	want := herald.ArticleInput{
		URL:         "https://www.rivertonledger.example/news/flood-warning?id=7",
		GUID:        "ledger-1",
		Title:       "Flood warning issued for Lower & Upper Valley",
		Summary:     "The river is expected to crest on Sunday.",
		Author:      "Marisol Vega",
		ImageURL:    "https://img.rivertonledger.example/flood.jpg",
		Categories:  []string{"Weather", "Breaking News"},
		PublishedAt: time.Date(2026, 11, 29, 3, 40, 0, 0, time.UTC),
		Targets:     []string{"x_main"},
		Priority:    herald.PriorityBreaking,
	}
	if first.URL != want.URL || first.GUID != want.GUID || first.Title != want.Title || first.Summary != want.Summary ||
		first.Author != want.Author || first.ImageURL != want.ImageURL || !slices.Equal(first.Categories, want.Categories) ||
		!first.PublishedAt.Equal(want.PublishedAt) || !slices.Equal(first.Targets, want.Targets) || first.Priority != want.Priority {
		t.Errorf("first item\n got %+v\nwant %+v", first, want)
	}
	// A relative link resolves against the feed's site link.
	if got := items[1].URL; got != "https://www.rivertonledger.example/news/bridge-budget" {
		t.Errorf("relative link resolved to %q", got)
	}
	if items[1].ImageURL != "https://img.rivertonledger.example/council.jpg" || items[1].Priority != herald.PriorityNormal {
		t.Errorf("second item image %q priority %d", items[1].ImageURL, items[1].Priority)
	}
	if items[1].Author != "Daniel Okafor" && items[1].Author != "desk@rivertonledger.example" {
		t.Errorf("second item author %q", items[1].Author)
	}
	// No link: a GUID that is a URL stands in.
	if got := items[2].URL; got != "https://www.rivertonledger.example/news/guid-only" {
		t.Errorf("GUID fallback = %q", got)
	}
	// No title: the summary stands in.
	if got := items[3].Title; !strings.HasPrefix(got, "A story whose feed forgot the title") || !items[3].PublishedAt.IsZero() {
		t.Errorf("untitled item = %+v", items[3])
	}
}

func TestMapItemsEdgeCases(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	body := rss("edge", []testItem{
		{Title: "From the future", Link: "https://news.example/future", Published: now.Add(5 * time.Hour)},
		{Title: "Duplicate", Link: "https://news.example/dup?utm_source=a", GUID: "d1"},
		{Title: "Duplicate again", Link: "https://news.example/dup?utm_source=b", GUID: "d2"},
		{Title: "Not http", Link: "ftp://news.example/file"},
		{Title: strings.Repeat("long words ", 20), Link: "https://news.example/long", Summary: strings.Repeat("é", 3000)},
	})
	f, _, err := parse(body, "")
	if err != nil {
		t.Fatal(err)
	}
	items, skipped := newMapper(f, "", now).items(f)
	if len(items) != 3 || len(skipped) != 1 {
		t.Fatalf("items %+v skipped %+v", items, skipped)
	}
	if !items[0].PublishedAt.Equal(now) {
		t.Errorf("future date not clamped: %v", items[0].PublishedAt)
	}
	if items[1].Title != "Duplicate" {
		t.Errorf("the first of two items with one URL should win, got %q", items[1].Title)
	}
	if n := len([]rune(items[2].Summary)); n > MaxSummary || !strings.HasSuffix(items[2].Summary, "…") {
		t.Errorf("summary not cut to %d: %d characters", MaxSummary, n)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"the quick brown fox jumps", 20, "the quick brown fox…"},
		{"supercalifragilistic", 10, "supercali…"},
		{"ééééééééééé", 5, "éééé…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestCharsets(t *testing.T) {
	const want = "“Café” prices up 2 €"
	tests := []struct {
		file, contentType string
	}{
		{"windows-1252.xml", "application/rss+xml"},               // declared correctly
		{"latin1-declared-utf8.xml", "text/xml; charset=utf-8"},   // declaration lies
		{"latin1-declared-utf8.xml", ""},                          // declaration lies, no header
		{"undeclared-1252.xml", "text/xml; charset=windows-1252"}, // charset in the header only
		{"undeclared-1252.xml", "text/xml"},                       // nothing declared: windows-1252 assumed
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.contentType, func(t *testing.T) {
			f, _, err := parse(readFeed(t, tt.file), tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			items, _ := newMapper(f, "", time.Now()).items(f)
			if len(items) != 1 || items[0].Title != want || items[0].Summary != "Crème brûlée costs more." {
				t.Fatalf("items = %+v, want title %q", items, want)
			}
		})
	}
}

func TestParseBadInput(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want error  // errors.Is, or nil to check the text
		text string // substring of the error
	}{
		{"empty", nil, ErrEmpty, ""},
		{"blank", []byte(" \n\t "), ErrEmpty, ""},
		{"html page", readFeed(t, "page.html"), ErrNotFeed, "HTML page"},
		{"plain text", []byte("hello, this is not a feed"), ErrNotFeed, ""},
		{"malformed", readFeed(t, "malformed.xml"), nil, "parse:"},
		{"bad json", []byte(`{"version": "https://jsonfeed.org/version/1.1", "items": [`), nil, "parse:"},
		// gofeed's JSON translator dereferences a null item.
		{"null json item", []byte(`{"version": "https://jsonfeed.org/version/1.1", "items": [null]}`), nil, "parse:"},
		{"null json item last", []byte(`{"version": "https://jsonfeed.org/version/1.1",
			"items": [{"id": "1", "url": "https://news.example/1"}, null]}`), nil, "parse:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, err := parse(tt.body, "")
			if err == nil {
				t.Fatalf("parse gave %d items and no error", len(f.Items))
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not mention %q", err, tt.text)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"rss20.xml", "atom10.xml", "feed11.json", "malformed.xml", "windows-1252.xml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "feeds", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
	}
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		feed, _, err := parse(body, contentType)
		if err != nil {
			return
		}
		items, _ := newMapper(feed, "https://news.example/", now).items(feed)
		for _, it := range items {
			if c, err := herald.CanonicalURL(it.URL); err != nil || c != it.URL {
				t.Fatalf("item URL %q is not canonical (%v)", it.URL, err)
			}
		}
	})
}

func TestHTMLImage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"<p>No image here</p>", ""},
		{`<p>Text</p><IMG alt="x" SRC="https://img.example/a.jpg">`, "https://img.example/a.jpg"},
		{`<img alt="no src"><img src="/b.png"/>`, "/b.png"},
		{`<imgur>not an image</imgur>`, ""},
	}
	for _, tt := range tests {
		if got := htmlImage(tt.in); got != tt.want {
			t.Errorf("htmlImage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Through the mapper: a relative src resolves against the feed's link.
	f, _, err := parse(rss("img", []testItem{{Title: "A", Link: "https://news.example/a",
		Summary: `<p><img src="/pics/a.jpg"> Caption</p>`}}), "")
	if err != nil {
		t.Fatal(err)
	}
	items, _ := newMapper(f, "", time.Now()).items(f)
	if len(items) != 1 || items[0].ImageURL != "https://news.example/pics/a.jpg" || items[0].Summary != "Caption" {
		t.Errorf("items = %+v", items)
	}
}

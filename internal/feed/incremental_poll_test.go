package feed

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// TestPollReadsOnlyNewItems polls a feed through its life: an item edited in
// place is seen as edited, reordered items and renamed namespace prefixes
// post nothing, and after a restart (a new Poller over the same store) a new
// item is the only one parsed.
func TestPollReadsOnlyNewItems(t *testing.T) {
	db := teststore.SQLite(t)
	syncAccounts(t, db, "x_main")
	srv := newFeedServer(t)
	items := []testItem{
		{GUID: "a", Title: "First story", Link: "https://news.example/a", Published: t0.Add(-time.Hour)},
		{GUID: "b", Title: "Second story", Link: "https://news.example/b", Published: t0.Add(-2 * time.Hour)},
		{GUID: "c", Title: "Third story", Link: "https://news.example/c", Published: t0.Add(-3 * time.Hour)},
	}
	// body renders items with a Dublin Core creator under the given prefix.
	body := func(prefix string, items []testItem) []byte {
		s := strings.Replace(string(rss("news", items)), `<rss version="2.0">`,
			`<rss version="2.0" xmlns:`+prefix+`="http://purl.org/dc/elements/1.1/">`, 1)
		return []byte(strings.ReplaceAll(s, "</item>", "<"+prefix+":creator>Desk</"+prefix+":creator></item>"))
	}
	clk := testkit.NewClock(t0)
	sources := []SourceConfig{{Name: "news", URL: srv.URL + "/rss", Interval: time.Minute, Targets: []string{"x_main"}}}
	p, announced := newTestPoller(t, db, clk, Options{Sources: sources})
	ctx := context.Background()
	// step serves a body, polls, and returns what the poll parsed.
	step := func(p *Poller, b []byte) int {
		t.Helper()
		srv.set("/rss", b)
		clk.Advance(2 * time.Minute)
		pollOnce(t, p)
		fs := herald.FingerprintStore(db)
		stored, err := fs.LoadItemFingerprints(ctx, getSource(t, db, "news").ID)
		if err != nil || decodePrints(stored) == nil {
			t.Fatalf("stored fingerprints %x, %v", stored, err)
		}
		return decodePrints(stored).len()
	}
	if n := step(p, body("dc", items)); n != 3 || articleCount(t, db) != 3 || jobCount(t, db) != 0 {
		t.Fatalf("backlog: %d fingerprints, %d articles, %d jobs", n, articleCount(t, db), jobCount(t, db))
	}

	// Edited in place: same GUID and link, new title.
	edited := append([]testItem(nil), items...)
	edited[1].Title = "Second story, corrected"
	step(p, body("dc", edited))
	a, err := db.FindArticle(ctx, "https://news.example/b")
	if err != nil || a.Title != "Second story, corrected" || a.Author != "Desk" {
		t.Fatalf("edited article = %+v, %v", a, err)
	}
	if articleCount(t, db) != 3 || jobCount(t, db) != 0 || announced.Load() != 0 {
		t.Fatalf("an edit posted: %d articles, %d jobs", articleCount(t, db), jobCount(t, db))
	}

	// Reordered, then the namespace under another prefix: nothing new.
	step(p, body("dc", []testItem{edited[2], edited[0], edited[1]}))
	step(p, body("purl", []testItem{edited[2], edited[0], edited[1]}))
	if articleCount(t, db) != 3 || jobCount(t, db) != 0 || announced.Load() != 0 {
		t.Fatalf("reorder or prefixes posted: %d articles, %d jobs", articleCount(t, db), jobCount(t, db))
	}

	// A restart: the new Poller knows no body, the store knows the items.
	p2, announced2 := newTestPoller(t, db, clk, Options{Sources: sources})
	fresh := append([]testItem{{GUID: "d", Title: "Fourth story", Link: "https://news.example/d", Published: t0}},
		edited[2], edited[0], edited[1])
	srv.set("/rss", body("purl", fresh))
	src := getSource(t, db, "news")
	_, info, n, err := p2.process(ctx, src, sources[0], body("purl", fresh), "", srv.URL+"/rss", clk.Now(), true)
	if err != nil {
		t.Fatal(err)
	}
	if info.Items != 4 || info.Parsed != 1 || n != 1 || announced2.Load() != 1 || jobCount(t, db) != 1 {
		t.Errorf("after a restart: info %+v, %d announced, %d jobs; want 4 items, 1 parsed, 1 announced",
			info, announced2.Load(), jobCount(t, db))
	}
}

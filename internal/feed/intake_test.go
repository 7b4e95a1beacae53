package feed

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// TestPushFloodAndFilters checks that a WebSub push goes through the same
// intake rules as a poll: the flood limit (with the source's override),
// and the filters of the source and of a target.
func TestPushFloodAndFilters(t *testing.T) {
	db := teststore.SQLite(t)
	syncAccounts(t, db, "x_main", "fb_page")
	srv := newFeedServer(t)
	srv.set("/rss", rss("news", nil))
	noWire, err := herald.NewFilter(herald.FilterRules{}, herald.FilterRules{Title: []string{"^Wire:"}})
	if err != nil {
		t.Fatal(err)
	}
	noSport, err := herald.NewFilter(herald.FilterRules{}, herald.FilterRules{Categories: []string{"sport"}})
	if err != nil {
		t.Fatal(err)
	}
	clk := testkit.NewClock(t0)
	p, _ := newTestPoller(t, db, clk, Options{MaxNewPerPoll: 10, Sources: []SourceConfig{
		{Name: "news", URL: srv.URL + "/rss", Interval: time.Hour, Targets: []string{"x_main", "fb_page"},
			Filter: noWire, TargetFilters: map[string]*herald.Filter{"fb_page": noSport}, MaxNew: 3},
	}})
	pollOnce(t, p) // seeds the source
	var items []testItem
	for i := range 6 {
		it := testItem{GUID: fmt.Sprint(i), Title: fmt.Sprintf("Story %d", i), Link: fmt.Sprintf("https://news.example/%d", i),
			Published: t0.Add(-time.Duration(i) * time.Minute)}
		switch i {
		case 0:
			it.Title = "Wire: markets" // filtered for every target: not counted
		case 1:
			it.Categories = []string{"Sport"} // filtered for fb_page only
		}
		items = append(items, it)
	}
	res, err := p.Ingest(context.Background(), "news", rss("news", items), "application/rss+xml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"skipped:filtered (exclude title: ^Wire:) skipped:filtered (exclude title: ^Wire:)",
		"pending: skipped:filtered (exclude categories: sport)",
		"pending: pending:",
		"pending: pending:",
		"skipped:flood skipped:flood",
		"skipped:flood skipped:flood",
	}
	for i, r := range res {
		got := ""
		for k, id := range r.Jobs {
			j, err := db.GetJob(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if k > 0 {
				got += " "
			}
			got += string(j.State) + ":" + j.SkipReason
		}
		if got != want[i] {
			t.Errorf("item %d: jobs %q, want %q", i, got, want[i])
		}
		if r.Flood != (i >= 4) {
			t.Errorf("item %d: flood %v", i, r.Flood)
		}
	}
}

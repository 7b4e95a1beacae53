package feed

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// TestFeedDroppingItsHub: a feed that no longer names its WebSub hub is
// recorded without one, and is polled at its own interval again rather than
// at the slow pace of a push-fed source.
func TestFeedDroppingItsHub(t *testing.T) {
	db := teststore.SQLite(t)
	syncAccounts(t, db, "x_main")
	srv := newFeedServer(t)
	srv.set("/rss", readFeedFile(t, "rss20.xml"))
	clk := testkit.NewClock(t0)
	p, _ := newTestPoller(t, db, clk, Options{PushInterval: time.Hour, Sources: []SourceConfig{
		{Name: "news", URL: srv.URL + "/rss", Interval: time.Minute, Targets: []string{"x_main"}, WebSub: true},
	}})
	pollOnce(t, p)
	src := getSource(t, db, "news")
	if src.HubURL != "https://hub.example.net/" {
		t.Fatalf("hub = %q", src.HubURL)
	}
	if err := db.SetPush(context.Background(), src.ID, herald.PushState{HubURL: src.HubURL, State: "active",
		Secret: "s3cret", LeaseUntil: t0.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// Unchanged (304): the hub stays, and push-fed polling is slow.
	clk.Advance(time.Minute)
	pollOnce(t, p)
	src = getSource(t, db, "news")
	if src.HubURL == "" || src.NextPollAt.Sub(clk.Now()) < 50*time.Minute {
		t.Fatalf("unchanged feed: hub %q, next poll in %v; want the hub kept and PushInterval", src.HubURL, src.NextPollAt.Sub(clk.Now()))
	}

	// The feed drops its hub.
	srv.set("/rss", rss("news", nil))
	clk.Advance(time.Hour)
	pollOnce(t, p)
	src = getSource(t, db, "news")
	if src.HubURL != "" {
		t.Errorf("hub = %q after the feed dropped it", src.HubURL)
	}
	if d := src.NextPollAt.Sub(clk.Now()); d > 2*time.Minute {
		t.Errorf("next poll in %v, want the source's interval (1m)", d)
	}
}

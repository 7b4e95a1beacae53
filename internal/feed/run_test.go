package feed

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// runPoller runs p until stop is called (or the test ends); stop waits for
// Run to return and gives its result.
func runPoller(t *testing.T, p *Poller) (stop func() error) {
	t.Helper()
	return testkit.Run(t, 10*time.Second, p.Run)
}

func TestSlowSourceDoesNotStallOthers(t *testing.T) {
	var slowDone atomic.Bool
	srv := newFeedServer(t)
	srv.set("/fast", rss("fast", []testItem{{Title: "A", Link: "https://news.example/a"}}))
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer slowDone.Store(true)
		serveTrickle(w, r, time.Second) // one byte a second
	}))
	t.Cleanup(slow.Close)
	db := teststore.SQLite(t)
	p := New(db, Options{
		Sources: []SourceConfig{
			{Name: "slow", URL: slow.URL, Interval: time.Hour},
			{Name: "fast", URL: srv.URL + "/fast", Interval: 50 * time.Millisecond},
		},
		// Two workers: the slow source holds one; the fast one must keep going.
		Concurrency: 2,
		Timeout:     8 * time.Second, // the rate guard cuts the slow one after 2 s
		Jitter:      -1,
		Owner:       "test",
	}, nil)
	runPoller(t, p)
	testkit.WaitFor(t, "five polls of the fast source", 5*time.Second, func() bool {
		full, nm := srv.counts("/fast")
		return full+nm >= 5
	})
	if slowDone.Load() {
		t.Fatal("the slow source finished before the fast one was polled five times: the test proves nothing")
	}
	// Then the slow one fails on its own, and is backed off.
	testkit.WaitFor(t, "the slow source's failure", 10*time.Second, func() bool { return getSource(t, db, "slow").Failures == 1 })
	src := getSource(t, db, "slow")
	if !strings.Contains(src.LastError, "too slowly") && !strings.Contains(src.LastError, "timed out") {
		t.Errorf("slow source error = %q", src.LastError)
	}
}

func TestRunStopsAndInterruptsInFlightPolls(t *testing.T) {
	started := make(chan struct{}, 1)
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}))
	t.Cleanup(stall.Close)
	db := teststore.SQLite(t)
	p := New(db, Options{
		Sources:       []SourceConfig{{Name: "stall", URL: stall.URL, Interval: time.Minute}},
		Timeout:       time.Minute,
		ShutdownGrace: 100 * time.Millisecond,
		Owner:         "test",
	}, nil)
	stop := runPoller(t, p)
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the source was never polled")
	}
	begin := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("Run took %v to stop", d)
	}
	// An interrupted poll is not a failure, and the source is due at once.
	src := getSource(t, db, "stall")
	if src.Failures != 0 || src.LastError != "" || src.NextPollAt.After(time.Now()) {
		t.Errorf("interrupted source = %+v", src)
	}
	srcs, err := db.ClaimSources(context.Background(), "other", time.Now(), time.Minute, 10)
	if err != nil || len(srcs) != 1 {
		t.Errorf("the lease was not released: %v, %v", srcs, err)
	}
}

func TestTwoInstancesShareSources(t *testing.T) {
	srv := newFeedServer(t)
	db := teststore.SQLite(t)
	var sources []SourceConfig
	for i := range 20 {
		path := "/feed/" + string(rune('a'+i))
		srv.set(path, rss("f", []testItem{{Title: "A", Link: "https://news.example" + path}}))
		sources = append(sources, SourceConfig{Name: path, URL: srv.URL + path, Interval: time.Hour})
	}
	var wg sync.WaitGroup
	for _, owner := range []string{"one", "two"} {
		p := New(db, Options{Sources: sources, Owner: owner, Concurrency: 3}, nil)
		wg.Go(func() {
			if err := p.PollOnce(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, s := range sources {
		if full, nm := srv.counts(s.Name); full != 1 || nm != 0 {
			t.Errorf("%s fetched %d times by two instances, want once", s.Name, full+nm)
		}
	}
}

func TestIngestAndPollSource(t *testing.T) {
	db := teststore.SQLite(t)
	syncAccounts(t, db, "x_main")
	srv := newFeedServer(t)
	srv.set("/rss", rss("news", []testItem{{GUID: "1", Title: "Backlog", Link: "https://news.example/1", Published: t0.Add(-time.Hour)}}))
	clk := testkit.NewClock(t0)
	p, announced := newTestPoller(t, db, clk, Options{Sources: []SourceConfig{
		{Name: "news", URL: srv.URL + "/rss", Interval: time.Hour, Targets: []string{"x_main"}},
	}})
	ctx := context.Background()
	// Out of schedule, on a never-polled source: the backlog, not announced.
	if err := p.PollSource(ctx, "news"); err != nil {
		t.Fatal(err)
	}
	if articleCount(t, db) != 1 || jobCount(t, db) != 0 || announced.Load() != 0 {
		t.Fatalf("PollSource on first sight announced something")
	}
	pollOnce(t, p) // seeds the source
	pushed := rss("news", []testItem{
		{GUID: "2", Title: "Pushed &amp; new", Link: "https://news.example/2?utm_source=hub", Published: t0},
		{GUID: "1", Title: "Backlog", Link: "https://news.example/1", Published: t0.Add(-time.Hour)},
	})
	res, err := p.Ingest(ctx, "news", pushed, "application/rss+xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || !res[0].New || len(res[0].Jobs) != 1 || res[1].New || len(res[1].Jobs) != 0 {
		t.Fatalf("Ingest results = %+v", res)
	}
	if res[0].Article.URL != "https://news.example/2" || res[0].Article.Title != "Pushed & new" {
		t.Errorf("pushed article = %+v", res[0].Article)
	}
	// The same body again (as the next poll would see it): nothing new.
	if res, err := p.Ingest(ctx, "news", pushed, ""); err != nil || res[0].New || len(res[0].Jobs) != 0 {
		t.Fatalf("second Ingest = %+v, %v", res, err)
	}
	if announced.Load() != 1 || jobCount(t, db) != 1 {
		t.Errorf("announced %d, %d jobs; want 1 and 1", announced.Load(), jobCount(t, db))
	}
	if _, err := p.Ingest(ctx, "news", []byte("<html><body>nope</body></html>"), "text/html"); err == nil {
		t.Error("Ingest accepted an HTML page")
	}
	if _, err := p.Ingest(ctx, "nosuch", pushed, ""); err == nil {
		t.Error("Ingest accepted an unknown source")
	}
	if err := p.PollSource(ctx, "nosuch"); err == nil {
		t.Error("PollSource accepted an unknown source")
	}
}

func TestCheck(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/atom", readFeed(t, "atom10.xml"))
	items, info, err := Check(context.Background(), srv.URL+"/atom", Options{
		Now: func() time.Time { return t0.Add(72 * time.Hour) }, BreakingCategories: []string{"weather"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.Title != "Riverton Ledger Atom" && info.Title != "Riverton Ledger <i>Atom</i>" {
		t.Errorf("title %q", info.Title)
	}
	if info.Format != "atom 1.0" || info.HubURL != "https://pubsubhubbub.example.com/" || info.Items != 2 || len(items) != 2 {
		t.Fatalf("info = %+v, %d items", info, len(items))
	}
	if items[0].Priority != herald.PriorityBreaking || !items[0].Stale || items[0].Announce {
		t.Errorf("first item = %+v", items[0])
	}
	if items[1].Summary != "The vote was 5-2." {
		t.Errorf("xhtml content summary = %q", items[1].Summary)
	}
	if _, _, err := Check(context.Background(), srv.URL+"/missing", Options{}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing feed: %v", err)
	}
}

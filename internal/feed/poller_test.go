package feed

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// newTestPoller returns a poller over db with a fixed clock and no jitter,
// counting OnNew calls.
func newTestPoller(t *testing.T, db herald.Store, clk *testkit.Clock, opts Options) (*Poller, *atomic.Int64) {
	t.Helper()
	var announced atomic.Int64
	opts.Now = clk.Now
	opts.Jitter = -1
	opts.OnNew = func(herald.Article) { announced.Add(1) }
	if opts.Owner == "" {
		opts.Owner = "test"
	}
	p := New(db, opts, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(p.client.CloseIdleConnections)
	return p, &announced
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func pollOnce(t *testing.T, p *Poller) {
	t.Helper()
	if err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestFirstSightThenNewItems(t *testing.T) {
	db := teststore.SQLite(t)
	syncAccounts(t, db, "x_main", "fb_page")
	srv := newFeedServer(t)
	items := []testItem{
		{GUID: "1", Title: "Recent one", Link: "https://news.example/1", Published: t0.Add(-time.Hour)},
		{GUID: "2", Title: "Recent two", Link: "https://news.example/2", Published: t0.Add(-2 * time.Hour)},
		{GUID: "3", Title: "Old", Link: "https://news.example/3", Published: t0.Add(-120 * time.Hour)},
	}
	srv.set("/rss", rss("news", items))
	clk := testkit.NewClock(t0)
	p, announced := newTestPoller(t, db, clk, Options{Sources: []SourceConfig{
		{Name: "news", URL: srv.URL + "/rss", Interval: time.Minute, Targets: []string{"x_main", "fb_page"}},
	}})

	pollOnce(t, p)
	if n := articleCount(t, db); n != 3 {
		t.Fatalf("%d articles after first sight, want 3", n)
	}
	if n, a := jobCount(t, db), announced.Load(); n != 0 || a != 0 {
		t.Fatalf("first sight created %d jobs and announced %d, want none", n, a)
	}
	src := getSource(t, db, "news")
	if !src.Seeded || src.LastStatus != 200 || src.ETag == "" || src.Failures != 0 || !src.NextPollAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("source after first poll = %+v", src)
	}
	old, err := db.FindArticle(context.Background(), "https://news.example/3")
	if err != nil || !old.Stale {
		t.Fatalf("old article = %+v, %v; want stale", old, err)
	}

	// Not due yet: nothing happens.
	pollOnce(t, p)
	if full, nm := srv.counts("/rss"); full != 1 || nm != 0 {
		t.Fatalf("polled before due: %d full, %d 304", full, nm)
	}

	// Unchanged: a 304.
	clk.Advance(time.Minute)
	pollOnce(t, p)
	if _, nm := srv.counts("/rss"); nm != 1 {
		t.Fatalf("unchanged feed: %d 304s, want 1", nm)
	}

	// One new story, one new but too old, and an edited title.
	items[0].Title = "Recent one, updated"
	items = append([]testItem{
		{GUID: "4", Title: "Brand new", Link: "https://news.example/4", Published: t0.Add(time.Minute)},
		{GUID: "5", Title: "Found late", Link: "https://news.example/5", Published: t0.Add(-72 * time.Hour)},
	}, items...)
	srv.set("/rss", rss("news", items))
	clk.Advance(time.Minute)
	pollOnce(t, p)
	if a := announced.Load(); a != 1 {
		t.Fatalf("announced %d, want 1 (the brand new story)", a)
	}
	if n := jobCount(t, db); n != 2 {
		t.Fatalf("%d jobs, want 2 (one story x two accounts)", n)
	}
	late, err := db.FindArticle(context.Background(), "https://news.example/5")
	if err != nil || !late.Stale {
		t.Fatalf("late article = %+v, %v; want stale", late, err)
	}
	edited, err := db.FindArticle(context.Background(), "https://news.example/1")
	if err != nil || edited.Title != "Recent one, updated" {
		t.Fatalf("edited article = %+v, %v", edited, err)
	}
	if n := articleCount(t, db); n != 5 {
		t.Fatalf("%d articles, want 5", n)
	}
}

func TestBackfill(t *testing.T) {
	for _, tt := range []struct {
		backfill, jobs int
	}{{0, 0}, {2, 2}, {4, 3}} {
		db := teststore.SQLite(t)
		syncAccounts(t, db, "x_main")
		srv := newFeedServer(t)
		// Feed order is not date order: backfill goes by date.
		srv.set("/rss", rss("news", []testItem{
			{Title: "Third newest", Link: "https://news.example/c", Published: t0.Add(-3 * time.Hour)},
			{Title: "Newest", Link: "https://news.example/a", Published: t0.Add(-time.Hour)},
			{Title: "Stale", Link: "https://news.example/d", Published: t0.Add(-100 * time.Hour)},
			{Title: "Second newest", Link: "https://news.example/b", Published: t0.Add(-2 * time.Hour)},
		}))
		p, announced := newTestPoller(t, db, testkit.NewClock(t0), Options{Backfill: tt.backfill, Sources: []SourceConfig{
			{Name: "news", URL: srv.URL + "/rss", Targets: []string{"x_main"}},
		}})
		pollOnce(t, p)
		jobs, err := db.ListJobs(context.Background(), herald.JobFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != tt.jobs || announced.Load() != int64(tt.jobs) {
			t.Fatalf("backfill %d: %d jobs, %d announced; want %d", tt.backfill, len(jobs), announced.Load(), tt.jobs)
		}
		var urls []string
		for _, j := range jobs {
			urls = append(urls, j.Article.URL)
		}
		slices.Sort(urls)
		want := []string{"https://news.example/a", "https://news.example/b", "https://news.example/c"}[:tt.jobs]
		if !slices.Equal(urls, want) {
			t.Errorf("backfill %d announced %v, want %v", tt.backfill, urls, want)
		}
	}
}

func TestBreakingCategoryAndHub(t *testing.T) {
	db := teststore.SQLite(t)
	syncAccounts(t, db, "x_main")
	srv := newFeedServer(t)
	srv.set("/rss", rss("news", nil))
	p, _ := newTestPoller(t, db, testkit.NewClock(t0), Options{BreakingCategories: []string{"BREAKING news"}, Sources: []SourceConfig{
		{Name: "news", URL: srv.URL + "/rss", Interval: time.Minute, Targets: []string{"x_main"}},
	}})
	pollOnce(t, p)
	srv.set("/rss", readFeedFile(t, "rss20.xml"))
	p.opts.Now = testkit.NewClock(t0.Add(time.Minute)).Now
	pollOnce(t, p)
	jobs, err := db.ListJobs(context.Background(), herald.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	breaking := 0
	for _, j := range jobs {
		if j.Priority == herald.PriorityBreaking {
			breaking++
		}
	}
	if len(jobs) != 4 || breaking != 1 {
		t.Errorf("%d jobs, %d breaking; want 4 and 1", len(jobs), breaking)
	}
	if src := getSource(t, db, "news"); src.HubURL != "https://hub.example.net/" {
		t.Errorf("hub = %q", src.HubURL)
	}
}

func TestBadInputRecordedOnSource(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/malformed", func(w http.ResponseWriter, r *http.Request) { w.Write(readFeedFile(t, "malformed.xml")) })
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(readFeedFile(t, "page.html"))
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/huge", serveHuge)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { serveTrickle(w, r, time.Second) })
	mux.HandleFunc("/404", http.NotFound)
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", 500) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	cases := []struct {
		name, url, text string
		status          int
	}{
		{"malformed", srv.URL + "/malformed", "parse: XML syntax error", 0},
		{"html", srv.URL + "/html", "not an RSS, Atom or JSON feed: got an HTML page", 0},
		{"empty", srv.URL + "/empty", "empty body", 0},
		{"huge", srv.URL + "/huge", "feed larger than the limit", 0},
		{"slow", srv.URL + "/slow", "GET " + srv.URL + "/slow: ", 0},
		{"404", srv.URL + "/404", "HTTP 404 Not Found", 404},
		{"500", srv.URL + "/500", "HTTP 500 Internal Server Error", 500},
		{"loop", srv.URL + "/loop", "stopped after 5 redirects", 0},
		{"nofile", "file:///nonexistent/herald/feed.xml", "read /nonexistent/herald/feed.xml: no such file or directory", 0},
	}
	var sources []SourceConfig
	for _, c := range cases {
		sources = append(sources, SourceConfig{Name: c.name, URL: c.url, Interval: time.Minute, Targets: []string{"x_main"}})
	}
	db := teststore.SQLite(t)
	syncAccounts(t, db, "x_main")
	var logs bytes.Buffer
	var logMu sync.Mutex
	clk := testkit.NewClock(t0)
	p := New(db, Options{
		Sources: sources, Now: clk.Now, Jitter: -1, Timeout: time.Second, MaxBody: 1 << 20, Owner: "test", MaxBackoff: 10 * time.Minute,
	}, slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, nil)))
	t.Cleanup(p.client.CloseIdleConnections)

	pollOnce(t, p)
	for _, c := range cases {
		src := getSource(t, db, c.name)
		if src.Failures != 1 || !strings.Contains(src.LastError, c.text) || src.LastStatus != c.status || src.Seeded {
			t.Errorf("%s: failures %d, status %d, error %q; want 1, %d, %q", c.name, src.Failures, src.LastStatus, src.LastError, c.status, c.text)
		}
		if want := t0.Add(2 * time.Minute); !src.NextPollAt.Equal(want) {
			t.Errorf("%s: next poll %v, want %v (backoff)", c.name, src.NextPollAt, want)
		}
		if n := strings.Count(logs.String(), "source="+c.name+" "); n != 1 {
			t.Errorf("%s: logged %d times, want once:\n%s", c.name, n, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "feed larger than the limit") {
		t.Errorf("log does not give the reason:\n%s", logs.String())
	}
	if n := articleCount(t, db); n != 0 {
		t.Errorf("%d articles recorded from bad input", n)
	}
	// The backoff doubles with each failure, up to MaxBackoff.
	clk.Advance(2 * time.Minute)
	pollOnce(t, p)
	if src := getSource(t, db, "404"); src.Failures != 2 || !src.NextPollAt.Equal(clk.Now().Add(4*time.Minute)) {
		t.Errorf("second failure: %+v", src)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func readFeedFile(t *testing.T, name string) []byte { return readFeed(t, name) }

func TestRecoveryResetsFailures(t *testing.T) {
	db := teststore.SQLite(t)
	srv := newFeedServer(t)
	clk := testkit.NewClock(t0)
	p, _ := newTestPoller(t, db, clk, Options{Sources: []SourceConfig{{Name: "news", URL: srv.URL + "/rss", Interval: time.Minute}}})
	pollOnce(t, p) // 404: not set yet
	if src := getSource(t, db, "news"); src.Failures != 1 || src.LastStatus != 404 {
		t.Fatalf("source = %+v", src)
	}
	srv.set("/rss", rss("news", []testItem{{Title: "A", Link: "https://news.example/a"}}))
	clk.Advance(2 * time.Minute)
	pollOnce(t, p)
	if src := getSource(t, db, "news"); src.Failures != 0 || src.LastError != "" || !src.Seeded || articleCount(t, db) != 1 {
		t.Fatalf("recovered source = %+v", src)
	}
}

func TestBackoffSchedule(t *testing.T) {
	p := New(nil, Options{Jitter: -1, MaxBackoff: time.Hour}, nil)
	cfg := SourceConfig{Interval: 2 * time.Minute}
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{{1, 4 * time.Minute}, {2, 8 * time.Minute}, {4, 32 * time.Minute}, {5, time.Hour}, {50, time.Hour}} {
		if got := p.backoff(t0, cfg, tt.failures, time.Time{}).Sub(t0); got != tt.want {
			t.Errorf("backoff after %d failures = %v, want %v", tt.failures, got, tt.want)
		}
	}
	if got := p.backoff(t0, SourceConfig{Interval: 2 * time.Hour}, 3, time.Time{}).Sub(t0); got != 2*time.Hour {
		t.Errorf("an interval above MaxBackoff is kept: got %v", got)
	}
	if got := p.backoff(t0, cfg, 1, t0.Add(3*time.Hour)).Sub(t0); got != 3*time.Hour {
		t.Errorf("Retry-After ignored: %v", got)
	}
	j := New(nil, Options{Jitter: 0.1}, nil)
	for range 100 {
		if d := j.nextPoll(t0, cfg, herald.Source{}).Sub(t0); d < 108*time.Second || d > 132*time.Second {
			t.Fatalf("jittered interval %v outside ±10%%", d)
		}
	}
	push := herald.Source{PushState: "active", PushLeaseUntil: t0.Add(time.Hour)}
	if d := p.nextPoll(t0, SourceConfig{Interval: time.Minute, WebSub: true}, push).Sub(t0); d != DefaultPushInterval {
		t.Errorf("push-fed source polled every %v, want %v", d, DefaultPushInterval)
	}
}

func TestCharsetsServed(t *testing.T) {
	files := map[string]struct{ file, contentType string }{
		"/lying":      {"latin1-declared-utf8.xml", "application/rss+xml; charset=iso-8859-1"},
		"/1252":       {"windows-1252.xml", "application/rss+xml"},
		"/undeclared": {"undeclared-1252.xml", "text/xml; charset=windows-1252"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", f.contentType)
		w.Write(readFeedFile(t, f.file))
	}))
	t.Cleanup(srv.Close)
	var sources []SourceConfig
	for path := range files {
		sources = append(sources, SourceConfig{Name: path, URL: srv.URL + path})
	}
	db := teststore.SQLite(t)
	p, _ := newTestPoller(t, db, testkit.NewClock(t0), Options{Sources: sources})
	pollOnce(t, p)
	arts, err := db.ListArticles(context.Background(), herald.ArticleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// The three feeds carry the same story: one article, decoded right.
	if len(arts) != 1 || arts[0].Title != "“Café” prices up 2 €" || len(arts[0].Sections) != 3 {
		t.Fatalf("articles = %+v", arts)
	}
}

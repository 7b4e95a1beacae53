package notify

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit/teststore"
	"github.com/heraldhq/herald/internal/web"
)

// received is what a test webhook got.
type received struct {
	mu     sync.Mutex
	bodies []string
	heads  []http.Header
}

func (r *received) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// startSink serves a webhook that answers status (200 when 0) after
// recording what it got.
func startSink(t *testing.T, status int) (*httptest.Server, *received) {
	t.Helper()
	r := &received{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(body))
		r.heads = append(r.heads, req.Header.Clone())
		r.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, r
}

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	db := teststore.SQLite(t)
	if err := db.SyncAccounts(context.Background(), []herald.Account{{ID: "x_main", Network: herald.Twitter}}); err != nil {
		t.Fatal(err)
	}
	return db
}

// deliverAll sends what the notifier queued, synchronously.
func deliverAll(n *Notifier) {
	for _, s := range n.sinks {
		for {
			a, ok := s.pop()
			if !ok {
				break
			}
			s.deliver(context.Background(), a)
		}
	}
}

func TestOneAlertPerCauseThenOneRecovered(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	srv, got := startSink(t, 0)
	jsonSrv, gotJSON := startSink(t, 0)
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	n := New(db, Options{Now: func() time.Time { return now }, Webhooks: []Webhook{
		{URL: srv.URL, Format: FormatSlack}, {URL: jsonSrv.URL, Format: FormatJSON, Secret: "s3cret"}}}, nil)

	check := func() {
		t.Helper()
		if err := n.Check(ctx); err != nil {
			t.Fatal(err)
		}
		deliverAll(n)
	}
	check()
	if b := got.all(); len(b) != 0 {
		t.Fatalf("alerts with nothing wrong: %q", b)
	}
	if err := db.PauseAccount(ctx, "x_main", "auth: token revoked"); err != nil {
		t.Fatal(err)
	}
	check()
	check()
	b := got.all()
	if len(b) != 1 || b[0] != `{"text":"Herald: Account x_main is paused: auth: token revoked"}` {
		t.Fatalf("slack bodies %q, want one alert", b)
	}
	if err := db.ResumeAccount(ctx, "x_main"); err != nil {
		t.Fatal(err)
	}
	check()
	check()
	b = got.all()
	if len(b) != 2 || b[1] != `{"text":"Herald: recovered: Account x_main is paused: auth: token revoked"}` {
		t.Fatalf("slack bodies %q, want the alert and one recovery", b)
	}

	js := gotJSON.all()
	if len(js) != 2 {
		t.Fatalf("json bodies %q", js)
	}
	var a Alert
	if err := json.Unmarshal([]byte(js[0]), &a); err != nil {
		t.Fatal(err)
	}
	if a.Event != EventAccountPaused || a.Cause != "account_paused:x_main" || a.State != StateRaised || !a.At.Equal(now) {
		t.Errorf("json alert %+v", a)
	}
	h := gotJSON.heads[0]
	// The same signature as Herald's own webhook checks.
	if want := web.Sign("s3cret", h.Get(TimestampHeader), []byte(js[0])); h.Get(SignatureHeader) != want {
		t.Errorf("signature %q, want %q", h.Get(SignatureHeader), want)
	}
	if !strings.Contains(js[1], `"state":"recovered"`) {
		t.Errorf("second json body %s", js[1])
	}
}

func TestFeedFailingAfterItsGrace(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	srv, got := startSink(t, 0)
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	n := New(db, Options{Now: func() time.Time { return now }, Webhooks: []Webhook{{URL: srv.URL, Format: FormatMattermost}}}, nil)
	if err := db.SyncSources(ctx, []herald.SourceSpec{{Name: "world", URL: "https://news.example/world.xml"}}); err != nil {
		t.Fatal(err)
	}
	srcs, err := db.ClaimSources(ctx, "me", now, time.Minute, 1)
	if err != nil || len(srcs) != 1 {
		t.Fatal(srcs, err)
	}
	if err := db.SavePoll(ctx, "me", herald.PollResult{SourceID: srcs[0].ID, Status: 503, Error: "HTTP 503", Failures: 1,
		PolledAt: now, NextPollAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Duration{0, 59 * time.Minute, time.Hour, 2 * time.Hour} {
		now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC).Add(at)
		if err := n.Check(ctx); err != nil {
			t.Fatal(err)
		}
		deliverAll(n)
		want := 0
		if at >= time.Hour {
			want = 1
		}
		if b := got.all(); len(b) != want {
			t.Fatalf("after %s: %d alerts (%q), want %d", at, len(b), b, want)
		}
	}
	if b := got.all(); !strings.Contains(b[0], "Feed world has been failing for 1h: HTTP 503") {
		t.Errorf("alert %s", b[0])
	}
}

func TestRetriedWithBackoff(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls < 3 {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	t.Cleanup(srv.Close)
	s := newSink(Webhook{URL: srv.URL, Format: FormatSlack}, Options{RetryBase: time.Millisecond}, discard())
	s.deliver(context.Background(), Alert{Message: "m"})
	if calls != 3 {
		t.Errorf("%d calls, want 3 (two failures, then delivered)", calls)
	}
	s = newSink(Webhook{URL: srv.URL, Format: FormatSlack}, Options{RetryBase: time.Millisecond, Attempts: 2}, discard())
	mu.Lock()
	calls = -10
	mu.Unlock()
	s.deliver(context.Background(), Alert{Message: "m"})
	if calls != -8 {
		t.Errorf("%d calls, want 2 (Attempts)", calls+10)
	}
}

// TestDownWebhookBlocksNothing: a webhook that never answers holds up
// neither the looks at the store nor the other alerts' queueing; its
// queue keeps the newest alerts and counts those it dropped.
func TestDownWebhookBlocksNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-hang }))
	t.Cleanup(func() { close(hang); srv.Close() })
	db := openStore(t)
	n := New(db, Options{QueueSize: 2, Interval: time.Hour, Webhooks: []Webhook{{URL: srv.URL, Format: FormatSlack}}}, nil)
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	for i := range 10 {
		if err := db.PauseAccount(ctx, "x_main", "suspended"); err != nil {
			t.Fatal(err)
		}
		if err := n.Check(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.ResumeAccount(ctx, "x_main"); err != nil {
			t.Fatal(err)
		}
		if err := n.Check(ctx); err != nil {
			t.Fatal(err)
		}
		_ = i
	}
	// 20 alerts: one in flight at most, two queued, the others dropped.
	if d := n.Dropped(); d < 17 || d > 18 {
		t.Errorf("dropped %d alerts, want 17 or 18", d)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestQueueDropsOldest(t *testing.T) {
	s := newSink(Webhook{URL: "http://127.0.0.1:1", Format: FormatSlack}, Options{QueueSize: 3}, discard())
	for _, m := range []string{"a", "b", "c", "d", "e"} {
		s.push(Alert{Message: m})
	}
	var kept []string
	for {
		a, ok := s.pop()
		if !ok {
			break
		}
		kept = append(kept, a.Message)
	}
	if strings.Join(kept, "") != "cde" || s.dropped.Load() != 2 {
		t.Errorf("kept %q, dropped %d; want cde and 2", kept, s.dropped.Load())
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/push"
)

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestHealthzReadyzMetrics(t *testing.T) {
	f := newFixture(t, nil)

	code, _, body := get(t, f.ts.URL+"/healthz")
	if code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	code, _, body = get(t, f.ts.URL+"/readyz")
	if code != http.StatusOK || !strings.Contains(body, `"status":"ready"`) {
		t.Errorf("/readyz with a reachable store: %d %s", code, body)
	}
	code, hdr, body := get(t, f.ts.URL+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, `herald_http_requests_total{code="200",route="GET /readyz"} 1`) ||
		!strings.Contains(body, "# TYPE herald_http_request_duration_seconds histogram") {
		t.Errorf("/metrics: %d\n%s", code, body)
	}
	if ct := hdr.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("/metrics Content-Type %q", ct)
	}
	code, _, _ = get(t, f.ts.URL+"/no/such/page")
	if code != http.StatusNotFound {
		t.Errorf("unknown path: %d", code)
	}
	_, _, body = get(t, f.ts.URL+"/metrics")
	if !strings.Contains(body, `route="unmatched"`) || strings.Contains(body, "/no/such/page") {
		t.Errorf("unmatched paths must be counted without their path:\n%s", body)
	}

	f.store.Close()
	code, _, body = get(t, f.ts.URL+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store unreachable") {
		t.Errorf("/readyz with a closed store: %d %s", code, body)
	}
}

func TestReadyzReasonsAndWarnings(t *testing.T) {
	failing := true
	f := newFixture(t, func(o *Options) {
		o.Ready = func(context.Context) error {
			if failing {
				return errors.Join(errors.New("store unreachable"), errors.New("account x_main paused: token revoked"))
			}
			return nil
		}
		o.Warnings = func(context.Context) []string { return []string{"fb_page: token expires in 5 days"} }
	})
	var got readyBody
	code, _, body := get(t, f.ts.URL+"/readyz")
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if code != http.StatusServiceUnavailable || got.Status != "unavailable" || len(got.Reasons) != 2 ||
		got.Reasons[1] != "account x_main paused: token revoked" || len(got.Warnings) != 1 {
		t.Errorf("failing: %d %+v", code, got)
	}
	failing = false
	got = readyBody{}
	code, _, body = get(t, f.ts.URL+"/readyz")
	_ = json.Unmarshal([]byte(body), &got)
	if code != http.StatusOK || got.Status != "ready" || len(got.Reasons) != 0 || got.Warnings[0] != "fb_page: token expires in 5 days" {
		t.Errorf("warnings only: %d %+v", code, got)
	}
}

func TestHandleAddsRoutes(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.HandleFunc("GET /api/popular", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "[]") })
	code, _, body := get(t, f.ts.URL+"/api/popular")
	if code != http.StatusOK || body != "[]" {
		t.Errorf("added route: %d %q", code, body)
	}
}

func TestRunServesAndShutsDown(t *testing.T) {
	store := openStore(t)
	srv := New(Options{Addr: "127.0.0.1:0", Store: store, ShutdownTimeout: time.Second}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.listened:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("server did not listen")
	}
	code, _, body := get(t, "http://"+srv.Addr()+"/healthz")
	if code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz over TCP: %d %q", code, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after ctx was cancelled")
	}
	if _, err := http.Get("http://" + srv.Addr() + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

func TestRunListenError(t *testing.T) {
	srv := New(Options{Addr: "256.0.0.1:99999"}, nil)
	if err := srv.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Run on a bad address: %v", err)
	}
}

func TestWebSubCallbackIsMounted(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Push = push.NewSubscriber(push.SubscriberOptions{Store: o.Store,
			Sources: []push.SourceConfig{{Name: "mexico", URL: "https://news.example/rss/mexico.xml", WebSub: true}},
			Ingest:  func(context.Context, string, []byte, string) error { t.Error("ingested"); return nil }}, nil)
	})
	// No subscription yet: a verification is refused, a push dropped with a 2xx.
	code, _, _ := get(t, f.ts.URL+"/websub/mexico?hub.mode=subscribe&hub.topic=https%3A%2F%2Fnews.example%2Frss%2Fmexico.xml&hub.challenge=x&hub.lease_seconds=60")
	if code != http.StatusNotFound {
		t.Errorf("verification without a subscription: %d", code)
	}
	resp, err := http.Post(f.ts.URL+"/websub/mexico", "application/rss+xml", strings.NewReader("<rss/>"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("unsigned push: %d, want 202", resp.StatusCode)
	}
	_, _, body := get(t, f.ts.URL+"/metrics")
	if !strings.Contains(body, `route="/websub/{source}"`) {
		t.Errorf("callback requests not counted by route:\n%s", body)
	}
}

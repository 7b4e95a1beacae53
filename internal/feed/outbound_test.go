package feed

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/netguard"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// publicFront makes news.example look like a public host (203.0.113.10)
// whose connections land on srv, so that a test can tell content-supplied
// destinations apart from the configured one on loopback. Other names
// resolve as evil maps them.
func publicFront(t *testing.T, srv *httptest.Server, evil map[string]string) netguard.Guard {
	t.Helper()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	front := "203.0.113.10"
	return netguard.Guard{
		Lookup: func(_ context.Context, host string) ([]netip.Addr, error) {
			if host == "news.example" {
				return []netip.Addr{netip.MustParseAddr(front)}, nil
			}
			if a, ok := evil[host]; ok {
				return []netip.Addr{netip.MustParseAddr(a)}, nil
			}
			return nil, errors.New("no such host")
		},
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == net.JoinHostPort(front, port) {
				addr = srv.Listener.Addr().String()
			}
			return (&net.Dialer{Timeout: time.Second}).DialContext(ctx, network, addr)
		},
	}
}

func TestFeedRedirectToInternalAddressRefused(t *testing.T) {
	var internalHits int
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	feedBody := rss("World", []testItem{{GUID: "1", Title: "One", Link: "https://news.example/one"}})
	mux.HandleFunc("/internal-admin", func(w http.ResponseWriter, r *http.Request) {
		internalHits++
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(feedBody)
	})
	mux.HandleFunc("/to-loopback", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:"+port+"/internal-admin", http.StatusFound)
	})
	mux.HandleFunc("/to-rebound", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://rebound.example:"+port+"/internal-admin", http.StatusFound)
	})
	guard := publicFront(t, srv, map[string]string{"rebound.example": "127.0.0.1", "metadata.example": "169.254.169.254"})
	opts := Options{Guard: guard}

	for _, path := range []string{"/to-loopback", "/to-rebound"} {
		_, _, err := Check(context.Background(), "http://news.example:"+port+path, opts)
		if !errors.Is(err, netguard.ErrRefused) || !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("%s: %v, want the redirect refused naming 127.0.0.1", path, err)
		}
	}
	// A name that resolves to an internal address, configured or not, is
	// refused when nothing says the network is internal.
	_, _, err := Check(context.Background(), "http://news.example:"+port+"/internal-admin", Options{Guard: guard})
	if err != nil {
		t.Fatalf("public feed: %v", err)
	}
	if internalHits != 1 {
		t.Fatalf("internal endpoint fetched %d times, want 1 (the public feed itself)", internalHits)
	}

	// A source configured on the internal network may follow its redirects there.
	internalHits = 0
	if _, _, err := Check(context.Background(), srv.URL+"/to-loopback", opts); err != nil || internalHits != 1 {
		t.Errorf("intranet source: %v, %d hits; want its redirect followed", err, internalHits)
	}
	// feed.allow_private_networks lets a public source's redirect through.
	internalHits = 0
	allowed := opts
	allowed.Guard.AllowPrivate = true
	if _, _, err := Check(context.Background(), "http://news.example:"+port+"/to-loopback", allowed); err != nil || internalHits != 1 {
		t.Errorf("allow_private_networks: %v, %d hits; want the redirect followed", err, internalHits)
	}
}

func TestPollerRefusesRedirectToLoopback(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:"+port+"/internal-admin", http.StatusFound)
	})
	hit := false
	mux.HandleFunc("/internal-admin", func(w http.ResponseWriter, r *http.Request) { hit = true })
	db := teststore.SQLite(t)
	p, _ := newTestPoller(t, db, testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)), Options{
		Guard:   publicFront(t, srv, nil),
		Sources: []SourceConfig{{Name: "world", URL: "http://news.example:" + port + "/feed"}},
	})
	err := p.PollSource(context.Background(), "world")
	if !errors.Is(err, netguard.ErrRefused) || hit {
		t.Fatalf("poll: %v (internal hit %v), want the redirect refused", err, hit)
	}
}

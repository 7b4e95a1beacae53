package web

import (
	"net/http"
	"testing"
	"time"
)

// TestProbesNeedTokenBeyondLoopback: /metrics and /readyz tell an outsider
// about accounts, queues and failures; beyond loopback (or through a proxy)
// they take the admin token, as a Prometheus scrape sends it.
func TestProbesNeedTokenBeyondLoopback(t *testing.T) {
	f := tokenFixture(t, "https://herald.example")
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+adminToken) }
	for _, path := range []string{"/metrics", "/readyz"} {
		if resp, _ := f.get(path, nil); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s without the token: %d", path, resp.StatusCode)
		}
		if resp, _ := f.get(path, func(r *http.Request) { r.Header.Set("Authorization", "Bearer wrong") }); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d", path, resp.StatusCode)
		}
		if resp, _ := f.get(path, bearer); resp.StatusCode != http.StatusOK {
			t.Errorf("%s with the token: %d", path, resp.StatusCode)
		}
	}
	if resp, _ := f.get("/healthz", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", resp.StatusCode)
	}

	public := newDashFixture(t, func(o *Options, d *DashboardOptions) {
		o.Addr, d.AdminToken, d.PublicMetrics = "0.0.0.0:8080", adminToken, true
	})
	for _, path := range []string{"/metrics", "/readyz"} {
		if resp, _ := public.get(path, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s with http.public_metrics: %d", path, resp.StatusCode)
		}
	}

	// On loopback they stay open, unless the request came through a proxy.
	local := newDashFixture(t, func(_ *Options, d *DashboardOptions) { d.AdminToken = adminToken })
	proxied := func(r *http.Request) { r.Header.Set("X-Forwarded-For", "203.0.113.9") }
	for _, path := range []string{"/metrics", "/readyz"} {
		if resp, _ := local.get(path, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s on loopback: %d", path, resp.StatusCode)
		}
		if resp, _ := local.get(path, proxied); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s through a proxy: %d", path, resp.StatusCode)
		}
	}
}

// TestPopularSinceBounded: a window longer than engagement is collected for
// is refused, and equivalent queries are one cache entry.
func TestPopularSinceBounded(t *testing.T) {
	f := newDashFixture(t, func(_ *Options, d *DashboardOptions) { d.MaxSince = 30 * 24 * time.Hour })
	for since, want := range map[string]int{"30d": 200, "720h": 200, "4w": 200, "31d": 400, "100000d": 400, "5w": 400} {
		resp, body := f.get("/api/popular?since="+since, nil)
		if resp.StatusCode != want {
			t.Errorf("since=%s: %d, want %d\n%s", since, resp.StatusCode, want, body)
		}
		if resp, _ := f.get("/widget/popular?since="+since, nil); resp.StatusCode != want {
			t.Errorf("widget since=%s: %d, want %d", since, resp.StatusCode, want)
		}
	}
}

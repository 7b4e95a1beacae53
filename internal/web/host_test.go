package web

import (
	"net/http"
	"testing"
)

// TestHostCheckWithoutToken: with no admin token the server trusts its
// loopback listener, so a page of another site whose name was rebound to
// 127.0.0.1 must not be served: only loopback names and public_url's host.
func TestHostCheckWithoutToken(t *testing.T) {
	f := newDashFixture(t, func(o *Options, _ *DashboardOptions) { o.PublicURL = "http://herald.lan:8080/" })
	for host, want := range map[string]int{
		"127.0.0.1:8080":        http.StatusOK,
		"127.0.0.1":             http.StatusOK,
		"localhost:8080":        http.StatusOK,
		"LOCALHOST.":            http.StatusOK,
		"[::1]:8080":            http.StatusOK,
		"herald.lan:8080":       http.StatusOK,
		"herald.lan":            http.StatusOK,
		"attacker.example":      http.StatusMisdirectedRequest,
		"attacker.example:8080": http.StatusMisdirectedRequest,
		"127.0.0.1.nip.io":      http.StatusMisdirectedRequest,
		"localhost.attacker":    http.StatusMisdirectedRequest,
		"10.0.0.5:8080":         http.StatusMisdirectedRequest,
	} {
		for _, path := range []string{"/", "/api/popular", "/metrics", "/readyz"} {
			resp, _ := f.get(path, func(r *http.Request) { r.Host = host })
			if resp.StatusCode != want {
				t.Errorf("Host %q %s: %d, want %d", host, path, resp.StatusCode, want)
			}
		}
	}
	// With an admin token, the token guards the dashboard whatever the name.
	f = tokenFixture(t, "https://herald.example")
	resp, _ := f.get("/", func(r *http.Request) {
		r.Host = "attacker.example"
		r.Header.Set("Authorization", "Bearer "+adminToken)
	})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("token mode, another name: %d", resp.StatusCode)
	}
}

package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		addr, want string
	}{
		{"127.0.0.1", "loopback"},
		{"127.9.9.9", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"192.168.1.1", "private"},
		{"::ffff:192.168.1.1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"fc00::1", "unique-local"},
		{"fd12:3456::1", "unique-local"},
		{"100.64.0.1", "shared (CGNAT)"},
		{"100.127.255.254", "shared (CGNAT)"},
		{"224.0.0.1", "link-local"},
		{"239.1.1.1", "multicast"},
		{"ff02::1", "link-local"},
		{"ff0e::1", "multicast"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"255.255.255.255", "broadcast"},
		{"93.184.215.14", ""},
		{"100.128.0.1", ""},
		{"2606:4700::1111", ""},
		{"203.0.113.10", ""},
	}
	for _, tt := range tests {
		if got := Classify(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Classify(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// fakeDNS is a Lookup seam: names map to fixed addresses.
func fakeDNS(m map[string]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range strings.Split(m[host], ",") {
			if a != "" {
				out = append(out, netip.MustParseAddr(a))
			}
		}
		return out, nil
	}
}

func TestDialRefusesInternalAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dns := fakeDNS(map[string]string{
		"evil.example":   "127.0.0.1",
		"mixed.example":  "93.184.215.14,127.0.0.1",
		"mapped.example": "::ffff:10.0.0.1",
	})
	g := &Guard{Lookup: dns}
	for _, host := range []string{"evil.example", "mixed.example", "mapped.example", "127.0.0.1", "[::1]", "169.254.169.254"} {
		c, err := g.DialContext(context.Background(), "tcp", net.JoinHostPort(strings.Trim(host, "[]"), port))
		if err == nil {
			c.Close()
			t.Errorf("dial %s: connected, want refused", host)
			continue
		}
		var re *RefusedError
		if !errors.As(err, &re) || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), re.Addr.String()) {
			t.Errorf("dial %s: %v, want a RefusedError naming the address", host, err)
		}
	}

	// Allowed, the same names connect.
	p := g.Private()
	c, err := p.DialContext(context.Background(), "tcp", net.JoinHostPort("evil.example", port))
	if err != nil {
		t.Fatalf("private allowed: %v", err)
	}
	c.Close()
	if g.AllowPrivate {
		t.Error("Private changed the original guard")
	}
}

func TestInternal(t *testing.T) {
	g := &Guard{Lookup: fakeDNS(map[string]string{"cms.intranet": "10.0.0.5", "news.example": "93.184.215.14"})}
	for u, want := range map[string]bool{
		"http://cms.intranet/feed": true, "http://127.0.0.1:8080/": true, "http://[::1]/": true,
		"https://news.example/rss": false, "file:///srv/feed.xml": false, "::bad": false,
	} {
		if got := g.Internal(context.Background(), u); got != want {
			t.Errorf("Internal(%s) = %v, want %v", u, got, want)
		}
	}
}

func TestTransportRefusesRedirectToLoopback(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) }))
	t.Cleanup(target.Close)
	client := &http.Client{Transport: (&Guard{}).Transport()}
	_, err := client.Get(target.URL)
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("get %s: %v, want refused", target.URL, err)
	}
}

package herald

import (
	"errors"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"https://example.com/news/1", "https://example.com/news/1"},
		{"HTTPS://Example.COM/News/1", "https://example.com/News/1"},
		{"  https://example.com/a  ", "https://example.com/a"},
		{"https://example.com", "https://example.com/"},
		{"https://example.com?x=1", "https://example.com/?x=1"},
		{"http://example.com:80/a", "http://example.com/a"},
		{"https://example.com:443/a", "https://example.com/a"},
		{"http://example.com:443/a", "http://example.com:443/a"},
		{"https://example.com:8443/a", "https://example.com:8443/a"},
		{"https://example.com:/a", "https://example.com/a"},
		{"https://[::1]:443/a", "https://[::1]/a"},
		{"https://example.com/a#comments", "https://example.com/a"},
		{"https://example.com/a?", "https://example.com/a"},
		{"https://example.com/a?utm_source=x&utm_medium=y&UTM_Campaign=z", "https://example.com/a"},
		{"https://example.com/a?id=7&utm_source=tw&page=2", "https://example.com/a?id=7&page=2"},
		{"https://example.com/a?b=2&a=1", "https://example.com/a?b=2&a=1"},
		{"https://example.com/a?fbclid=IwAR0&gclid=1&dclid=2&msclkid=3", "https://example.com/a"},
		{"https://example.com/a?mc_cid=1&mc_eid=2&igshid=3&_ga=4&yclid=5&ref_src=twsrc", "https://example.com/a"},
		{"https://example.com/a?q=a%20b&utm_term=x", "https://example.com/a?q=a%20b"},
		{"https://example.com/a?utm_%73ource=x&k=v", "https://example.com/a?k=v"},
		{"https://example.com/a?&&k=v&&", "https://example.com/a?k=v"},
		{"https://example.com/a?ref=home", "https://example.com/a?ref=home"},
		{"https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"},
		{"https://example.com/café", "https://example.com/caf%C3%A9"},
		{"https://user@example.com/a", "https://user@example.com/a"},
		{"https://example.com/a?q=a b&x=\"é\"", "https://example.com/a?q=a%20b&x=%22%C3%A9%22"},
		{"https://example.com/? #x", "https://example.com/?%20"},
	}
	for _, tt := range tests {
		got, err := CanonicalURL(tt.in)
		if err != nil {
			t.Errorf("CanonicalURL(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalURLRejects(t *testing.T) {
	for _, in := range []string{
		"", "   ", "/news/1", "news/1", "example.com/a", "//example.com/a",
		"ftp://example.com/a", "mailto:news@example.com", "javascript:alert(1)",
		"file:///etc/passwd", "http://", "https:///path", "http:example.com",
		"https://exa mple.com/", "http://%zz/", "urn:uuid:1234", "https://:443/a",
	} {
		got, err := CanonicalURL(in)
		if err == nil {
			t.Errorf("CanonicalURL(%q) = %q, want an error", in, got)
		}
	}
	if _, err := CanonicalURL("ftp://example.com/a"); !errors.Is(err, ErrBadURL) {
		t.Errorf("error %v is not ErrBadURL", err)
	}
}

func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/a?utm_source=x&id=1#frag",
		"HTTP://EXAMPLE.com:80",
		"https://example.com/a%2Fb?q=%zz&&x",
		"https://[::1]:443/?fbclid=1",
		"http://a.b/c d?e=f g",
		"https://example.com/;param?x=1;y=2",
		"https://news.example/? \t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		once, err := CanonicalURL(in)
		if err != nil {
			return
		}
		twice, err := CanonicalURL(once)
		if err != nil {
			t.Fatalf("CanonicalURL(%q) = %q, which it rejects: %v", in, once, err)
		}
		if twice != once {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, once, twice)
		}
	})
}

package herald

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCanonicalPlainMatchesParsed compares the direct canonical form of
// plain URLs with the one net/url gives, on random URLs built of the
// pieces links are made of (and some they should not be).
func TestCanonicalPlainMatchesParsed(t *testing.T) {
	check := func(s string) bool {
		t.Helper()
		out, ok := canonicalPlain(s)
		if !ok {
			return false
		}
		want, err := canonicalParsed(s)
		if err != nil || out != want {
			t.Fatalf("canonicalPlain(%q) = %q, net/url gives %q (%v)", s, out, want, err)
		}
		return true
	}
	schemes := [2][]string{{"https://", "http://"}, {"HTTPS://", "ftp://", "https:/", "https:", ""}}
	hosts := [2][]string{{"example.com", "news.example", "a-b.example.co.uk", "x", "1.2.3.4", "example.com.", ".."},
		{"Example.com", "ex_ample.com", "example.com:443", "example.com:", "user@example.com", "[::1]", "", "éx.com"}}
	parts := [2][]string{{"/", "/a", "/news/2026/11/28/story-1-council", "~x", "_", ".", "..", "-", "A", "?", "?a=1",
		"&", "&b=2", "=", "utm_source=rss", "&utm_medium=x", "fbclid=1", "#", "#top", "#a?b", ";", ",", "+", ":", "@",
		"!", "$", "'", "(", ")", "*", "%20", "%zz"},
		{"é", " ", "#%20", "\"", "<", ">", "\\", "^", "`", "{", "|", "}", "\x7f", "\t", "#x#y"}}
	rnd := rand.New(rand.NewPCG(3, 4))
	pick := func(lists [2][]string) string {
		l := lists[0]
		if rnd.IntN(10) == 0 {
			l = lists[1]
		}
		return l[rnd.IntN(len(l))]
	}
	plain := 0
	for range 50000 {
		var b strings.Builder
		b.WriteString(pick(schemes))
		b.WriteString(pick(hosts))
		for range rnd.IntN(7) {
			b.WriteString(pick(parts))
		}
		if check(b.String()) {
			plain++
		}
	}
	if plain < 5000 {
		t.Errorf("only %d of 50000 random URLs took the direct way", plain)
	}
	for _, s := range []string{"https://news.example/section/7/2026/11/28/story-3-council-approves-budget?utm_source=rss",
		"https://example.com", "https://example.com?x=1", "https://example.com#f", "https://example.com/a?#f"} {
		if !check(s) {
			t.Errorf("%q did not take the direct way", s)
		}
	}
}

// BenchmarkCanonicalURL is the cost of a typical feed link.
func BenchmarkCanonicalURL(b *testing.B) {
	const link = "https://news.example/section/7/2026/11/28/story-3-council-approves-budget?utm_source=rss"
	b.ReportAllocs()
	for range b.N {
		if _, err := CanonicalURL(link); err != nil {
			b.Fatal(err)
		}
	}
}

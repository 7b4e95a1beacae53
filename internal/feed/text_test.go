package feed

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/herald"
)

// TestPlainTextMatchesHerald compares plainText with herald.PlainText on
// every bare tag, open, closed and empty, and on random mixes of text,
// tags, entities, white space and non-ASCII.
func TestPlainTextMatchesHerald(t *testing.T) {
	check := func(s string) {
		t.Helper()
		if got, want := plainText(s), herald.PlainText(s); got != want {
			t.Fatalf("plainText(%q) = %q, herald.PlainText gives %q", s, got, want)
		}
	}
	for name := range bareTags {
		for _, tag := range []string{name, strings.ToUpper(name)} {
			check("a<" + tag + ">b</" + tag + ">c")
			check("a<" + tag + "/>b")
			check(" <" + tag + "> x </" + tag + "> ")
		}
	}
	pieces := []string{"word", "Word", "x", " ", "  ", "\t", "\n", "\r\n", "<p>", "</p>", "<br/>", "<br>", "<b>", "</b>",
		"<EM>", "</em>", "<span>", "<h2>", "</h2>", "<li>", "<a>", "</a>", "<a href=\"x\">", "<img src=x>", "<script>",
		"</script>", "<title>", "<style>", "&amp;", "&lt;b&gt;", "&#233;", "5 < 6", "<3", ">", "a>b", "é", "“q”", "\u00a0",
		"\x00", "\x01", "\x7f", "<!-- c -->", "<p", "</", "<>", "< p>", "<p >", "<1>", "<h7>", "&", ";", "\uFEFF",
		"<textarea>", "<P/>", "</br>", "<b/>"}
	rnd := rand.New(rand.NewPCG(1, 2))
	fast := 0
	for range 20000 {
		var b strings.Builder
		for range rnd.IntN(6) {
			b.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		check(b.String())
		if _, ok := bareMarkupText(b.String()); ok {
			fast++
		}
	}
	if fast < 2000 {
		t.Errorf("only %d of 20000 random strings took the direct way", fast)
	}
	for _, s := range []string{"", "Plain title", "Council approves budget, item 3",
		"<p>The vote funds repairs to two bridges.</p>", "Staff Writer", " lead", "trail ", "two  spaces"} {
		check(s)
	}
}

// BenchmarkPlainText is the cost of a typical title and summary.
func BenchmarkPlainText(b *testing.B) {
	title := "Council approves budget for bridge repairs in district 7, item 3"
	summary := "<p>The vote funds repairs to two bridges closed to trucks since the spring inspection; work begins in March.</p>"
	b.Run("feed", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			plainText(title)
			plainText(summary)
		}
	})
	b.Run("herald", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			herald.PlainText(title)
			herald.PlainText(summary)
		}
	})
}

// TestPlainAbsolute checks that what plainAbsolute takes is what url.Parse
// and String give back unchanged, on random URLs.
func TestPlainAbsolute(t *testing.T) {
	parts := []string{"/", "/a", "/story-1", "~", "_", ".", "-", "?", "a=1", "&", "utm_source=rss", "#", "top", "'",
		"(", ")", "*", "!", "$", ";", ",", "+", ":", "@", "=", "%20", "%zz", "A"}
	odd := []string{":443", " ", "é", "\"", "<", "{", "|", "\\", "^", "`", "#", "\x7f"}
	rnd := rand.New(rand.NewPCG(5, 6))
	plain := 0
	for range 50000 {
		var b strings.Builder
		b.WriteString([]string{"https://", "http://", "https://", "HTTPS://", ""}[rnd.IntN(5)])
		b.WriteString([]string{"example.com", "news.example", "x", "Example.com", ""}[rnd.IntN(5)])
		for range rnd.IntN(7) {
			if rnd.IntN(10) == 0 {
				b.WriteString(odd[rnd.IntN(len(odd))])
			} else {
				b.WriteString(parts[rnd.IntN(len(parts))])
			}
		}
		s := b.String()
		if !plainAbsolute(s) {
			continue
		}
		plain++
		u, err := url.Parse(s)
		if err != nil || u.String() != s || !u.IsAbs() || u.Host == "" {
			t.Fatalf("plainAbsolute(%q), but url.Parse gives %v, %v", s, u, err)
		}
	}
	if plain < 2000 {
		t.Errorf("only %d of 50000 random URLs were plain", plain)
	}
}

package feed

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/herald"
)

// TestPlainTextMatchesHerald compares plainText with herald.PlainText on
// random mixes of text, tags, entities, white space and non-ASCII.
func TestPlainTextMatchesHerald(t *testing.T) {
	check := func(s string) {
		t.Helper()
		if got, want := plainText(s), herald.PlainText(s); got != want {
			t.Fatalf("plainText(%q) = %q, herald.PlainText gives %q", s, got, want)
		}
	}
	pieces := []string{"word", "Word", "x", " ", "  ", "\t", "\n", "\r\n", "<p>", "</p>", "<br/>", "<br>", "<b>", "</b>",
		"<EM>", "</em>", "<span>", "<h2>", "</h2>", "<li>", "<a>", "</a>", "<a href=\"x\">", "<img src=x>", "<script>",
		"</script>", "<title>", "<style>", "&amp;", "&lt;b&gt;", "&#233;", "5 < 6", "<3", ">", "a>b", "é", "“q”", "\u00a0",
		"\x00", "\x01", "\x7f", "<!-- c -->", "<p", "</", "<>", "< p>", "<p >", "<1>", "<h7>", "&", ";", "\uFEFF",
		"<textarea>", "<P/>", "</br>", "<b/>"}
	rnd := rand.New(rand.NewPCG(1, 2))
	plain := 0
	for range 20000 {
		var b strings.Builder
		for range rnd.IntN(6) {
			b.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		check(b.String())
		if isPlain(b.String()) {
			plain++
		}
	}
	if plain < 200 {
		t.Errorf("only %d of 20000 random strings were taken as plain", plain)
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

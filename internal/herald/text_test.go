package herald

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestPlainText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"Plain headline", "Plain headline"},
		{"  Lots \n\t of   space\u00a0here  ", "Lots of space here"},
		{"Tom &amp; Jerry", "Tom & Jerry"},
		{"Tom &amp;amp; Jerry", "Tom & Jerry"},
		{"Caf&eacute; &#8220;quoted&#8221; &#x2014; dash", "Café “quoted” — dash"},
		{"<b>Breaking:</b> storm hits coast", "Breaking: storm hits coast"},
		{"&lt;b&gt;Breaking:&lt;/b&gt; storm hits coast", "Breaking: storm hits coast"},
		{"<p>First paragraph.</p><p>Second.</p>", "First paragraph. Second."},
		{"line one<br>line two<br/>line three", "line one line two line three"},
		{"in<em>line</em> words", "inline words"},
		{"<a href=\"https://example.com\">Link</a> text", "Link text"},
		{"before<script>alert('x')</script>after", "before after"},
		{"<style>p{color:red}</style>Styled", "Styled"},
		{"<!-- comment -->Visible", "Visible"},
		{"5 < 6 and 7 > 3", "5 < 6 and 7 > 3"},
		{"I &lt;3 news", "I <3 news"},
		{"AT&T and Q&A", "AT&T and Q&A"},
		{"<![CDATA[ignored?]]>Text", "Text"},
		{"Control\x00chars\x07here", "Control chars here"},
		{"\ufeffBOM start", "BOM start"},
		{"bad \xff utf8", "bad utf8"},
		{"Emoji 👍🏽 stays", "Emoji 👍🏽 stays"},
		{"<div>\n  <h1>Title</h1>\n  <ul><li>one</li><li>two</li></ul>\n</div>", "Title one two"},
		{"unclosed <b>bold", "unclosed bold"},
		{"0<\xe5?", "0"},
		// Encoded several times: no tag survives, its content is dropped.
		{"&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; Storm hits", "Storm hits"},
		{"&amp;amp;lt;b&amp;amp;gt;Bold&amp;amp;lt;/b&amp;amp;gt; news", "Bold news"},
		{"&amp;lt;img src=x onerror=alert(1)&amp;gt;Flood", "Flood"},
		// Bidirectional controls are dropped, other text stays.
		{"Price \u202e0.99\u202c drop", "Price 0.99 drop"},
		{"\u2066isolated\u2069 \u202aembedded\u202b\u202d", "isolated embedded"},
		{"&lt;b&gt;\u202ebold&lt;/b&gt;", "bold"},
		{"Ar\u200fabic mark stays", "Ar\u200fabic mark stays"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"<b>x</b>", "&amp;amp;", "&lt;i&gt;y", "a < b", "<script>x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := PlainText(in)
		if PlainText(out) != out {
			t.Fatalf("PlainText(%q) = %q is not stable", in, out)
		}
		if len(out) > 0 && (out[0] == ' ' || out[len(out)-1] == ' ') {
			t.Fatalf("PlainText(%q) = %q is not trimmed", in, out)
		}
	})
}

// TestPlainTextKeepsCleanText: text without markup that is already clean is
// given back as it is, and is what collapseSpace would make of it, on random
// mixes of text, white space, controls and non-ASCII.
func TestPlainTextKeepsCleanText(t *testing.T) {
	pieces := []string{"word", "Word", "x", " ", "  ", "\t", "\n", "\r\n", "é", "“q”", "\u00a0", "\u2028", "\x00",
		"\x01", "\x7f", "\u0085", "\uFEFF", "\u202E", "\u2066", "東京", "—", "5 > 6", ";", "\xff", "a\xc3"}
	rnd := rand.New(rand.NewPCG(1, 2))
	clean := 0
	for range 20000 {
		var b strings.Builder
		for range rnd.IntN(6) {
			b.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := PlainText(s), collapseSpace(s); got != want {
			t.Fatalf("PlainText(%q) = %q, collapseSpace gives %q", s, got, want)
		}
		if isClean(s) {
			clean++
		}
	}
	if clean < 200 {
		t.Errorf("only %d of 20000 random strings were taken as clean", clean)
	}
}

// BenchmarkPlainText is the cost of a typical title and summary.
func BenchmarkPlainText(b *testing.B) {
	title := "Council approves budget for bridge repairs in district 7, item 3"
	summary := "<p>The vote funds repairs to two bridges closed to trucks since the spring inspection; work begins in March.</p>"
	b.ReportAllocs()
	for range b.N {
		PlainText(PlainText(title))
		PlainText(PlainText(summary))
	}
}

// FuzzStripSimple checks that wherever stripSimple takes a string, it
// gives what the tokenizer gives.
func FuzzStripSimple(f *testing.F) {
	for _, s := range []string{
		"<p>The vote funds repairs.</p>", "<a href=\"https://x.example/?a=1&amp;b=2\">link</a> &amp; more",
		"<br/>a<br />b<BR>c", "<img src=x.png alt='a > b'>", "<a href=x/>y", "5 < 6 and <3", "</p >x</P>",
		"<b>bold</b><i>it</i><span class=\"k\">s</span>", "<script>x</script>", "<!-- c -->", "<a b\"c>",
		"x\r\ny\rz", "<p\nclass=a\n>t</p>", "<a =b>", "<a b = \"c\" d>", "&lt;b&gt;", "<a href=`x`>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := stripSimple(in)
		if !ok {
			return
		}
		if want := stripTokens(in); got != want {
			t.Fatalf("stripSimple(%q) = %q, the tokenizer gives %q", in, got, want)
		}
	})
}

// TestStripSimpleTakesCommonMarkup checks that the markup of common
// summaries does not fall back to the tokenizer.
func TestStripSimpleTakesCommonMarkup(t *testing.T) {
	for _, in := range []string{
		"<p>The vote funds repairs to two bridges; work begins in March.</p>",
		"<p><a href=\"https://news.example/a?b=1&amp;c=2\" target=\"_blank\">Read</a> &mdash; <em>more</em></p><br/>",
		"<img src=\"https://news.example/i.jpg\" alt=\"Bridge\" width=600 height=400 /> Caption",
	} {
		if _, ok := stripSimple(in); !ok {
			t.Errorf("stripSimple declined %q", in)
		}
	}
}

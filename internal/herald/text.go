package herald

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// PlainText turns a feed's title or summary into plain text: tags stripped
// (the content of script and style dropped, block elements separated by a
// space), HTML entities decoded, runs of white space collapsed to one space,
// control characters removed, and the result trimmed.
//
// Feeds often escape their markup once more than they should: a title of
// "&lt;b&gt;Breaking&lt;/b&gt;" or "Tom &amp;amp; Jerry". When the first
// pass leaves something that still looks like a tag or an entity, it runs a
// second (and last) pass, so both come out as a reader would expect
// ("Breaking", "Tom & Jerry"), while a literal "5 < 6" or "<3" is kept.
func PlainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return collapseSpace(s)
	}
	// Invalid bytes go first: the tokenizer would keep them as text next to
	// a "<" that only forms a tag once they are gone.
	out := stripTags(strings.ToValidUTF8(s, ""))
	if looksLikeMarkup(out) {
		out = stripTags(out)
	}
	return collapseSpace(out)
}

// markupRe matches what a decoded string should no longer contain: an
// element tag, a comment, or an entity with its semicolon.
var markupRe = regexp.MustCompile(`<[A-Za-z/!]|&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

func looksLikeMarkup(s string) bool {
	return strings.ContainsAny(s, "<&") && markupRe.MatchString(s)
}

// inline elements do not separate words; every other element does.
var inline = map[string]bool{
	"a": true, "abbr": true, "b": true, "bdi": true, "bdo": true, "cite": true,
	"code": true, "data": true, "dfn": true, "em": true, "font": true, "i": true,
	"kbd": true, "mark": true, "q": true, "s": true, "samp": true, "small": true,
	"span": true, "strike": true, "strong": true, "sub": true, "sup": true,
	"time": true, "tt": true, "u": true, "var": true, "wbr": true,
}

func stripTags(s string) string {
	z := html.NewTokenizerFragment(strings.NewReader(s), "div")
	var b strings.Builder
	b.Grow(len(s))
	skip := 0 // depth inside script/style
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if tag == "script" || tag == "style" {
				if tt == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			}
			if !inline[tag] {
				b.WriteByte(' ')
			}
		}
	}
}

// collapseSpace replaces runs of white space and control characters with one
// space, drops invalid UTF-8 and byte order marks, and trims.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1, r == '\uFEFF':
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

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
// Feeds often escape their markup once (or several times) more than they
// should: a title of "&lt;b&gt;Breaking&lt;/b&gt;" or "Tom &amp;amp; Jerry".
// While a pass leaves something that still looks like a tag or an entity,
// it runs another, so both come out as a reader would expect ("Breaking",
// "Tom & Jerry") and no tag survives however often it was encoded, while a
// literal "5 < 6" or "<3" is kept. Bidirectional embedding, override and
// isolate controls (U+202A–U+202E, U+2066–U+2069), which can make a post
// read otherwise than it is written, are dropped. The result is its own
// plain text: PlainText(PlainText(s)) == PlainText(s).
func PlainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		if isClean(s) {
			return s // most titles, and text PlainText gave already
		}
		return collapseSpace(s)
	}
	// Invalid bytes go first: the tokenizer would keep them as text next to
	// a "<" that only forms a tag once they are gone.
	out := strings.ToValidUTF8(s, "")
	for range maxPasses {
		out = stripTags(out)
		if !looksLikeMarkup(out) {
			return collapseSpace(out)
		}
	}
	// Encoded more often than any feed does by mistake: no angle bracket
	// may reach a post as a tag.
	return collapseSpace(strings.NewReplacer("<", "", ">", "").Replace(out))
}

// maxPasses bounds the decoding passes of PlainText.
const maxPasses = 8

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

// stripTags drops s's tags, and the content of script and style, keeping
// its text (entities decoded) with a space where an element that is not
// inline began or ended.
func stripTags(s string) string {
	if out, ok := stripSimple(s); ok {
		return out
	}
	return stripTokens(s)
}

// stripTokens is stripTags by the HTML tokenizer, for any input.
func stripTokens(s string) string {
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
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		switch {
		case r < utf8.RuneSelf:
			// ASCII white space and control characters are the bytes up
			// to ' ' and DEL.
			if r <= ' ' || r == 0x7f {
				space = true
				continue
			}
		case r == utf8.RuneError && size == 1, r == '\uFEFF', isBidiControl(r):
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

// isClean reports whether collapseSpace would give s back as it is: valid
// UTF-8 without a byte-order mark, bidirectional control or control
// character, and no space but single ' ' between words.
func isClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ':
				if i == 0 || i == len(s)-1 || s[i-1] == ' ' {
					return false
				}
			case c < 0x20 || c == 0x7f:
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\uFEFF' || isBidiControl(r) || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
		i += size
	}
	return true
}

// isBidiControl reports whether r is a bidirectional embedding, override or
// isolate control.
func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

package compose

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/text/unicode/norm"
)

// ellipsis ends a shortened title.
const ellipsis = "…"

// plain makes feed text safe to post: HTML entities decoded (the feed layer
// does it already; a webhook or a hand-made article may not), whitespace
// collapsed, NFC.
func plain(s string) string {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	if needsCollapse(s) {
		s = strings.Join(strings.Fields(s), " ")
	}
	if !quickNFC(s) {
		s = norm.NFC.String(s)
	}
	return s
}

// needsCollapse reports whether s has leading, trailing, repeated or
// non-space whitespace.
func needsCollapse(s string) bool {
	prevSpace := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			if prevSpace {
				return true
			}
			prevSpace = true
		case c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			return true
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				return true
			}
			i += n - 1
			prevSpace = false
		default:
			prevSpace = false
		}
	}
	return prevSpace && len(s) > 0
}

// tidy cleans a rendered template: no leading or trailing whitespace, and
// runs of spaces (an empty field between two others) made one; line breaks
// the template asks for are kept.
func tidy(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prev := byte(0)
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && prev == ' ' {
			continue
		}
		prev = s[i]
		b.WriteByte(s[i])
	}
	return b.String()
}

// wordCuts returns the byte offsets, ascending, where s may be cut at the
// end of a word (UAX #29 word boundaries; each CJK ideograph is a word),
// excluding len(s).
func wordCuts(s string) []int {
	var cuts []int
	state, pos := -1, 0
	for rest := s; rest != ""; {
		var word string
		word, rest, state = uniseg.FirstWordInString(rest, state)
		pos += len(word)
		if pos < len(s) && hasWordRune(word) {
			cuts = append(cuts, pos)
		}
	}
	return cuts
}

// graphemeCuts returns the byte offsets, ascending, of the grapheme cluster
// boundaries inside s.
func graphemeCuts(s string) []int {
	var cuts []int
	state, pos := -1, 0
	for rest := s; rest != ""; {
		var g string
		g, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		pos += len(g)
		if pos < len(s) {
			cuts = append(cuts, pos)
		}
	}
	return cuts
}

func hasWordRune(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

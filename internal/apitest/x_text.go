package apitest

import (
	"hash/fnv"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/text/unicode/norm"
)

// xMaxWeightedLength is X's limit on a post's weighted length.
const xMaxWeightedLength = 280

// xURLPattern finds the links X rewrites to t.co. Bare domains ("Amazon.com")
// are left alone here, so this counter never counts more than twitter-text.
var xURLPattern = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:!?)\]'}]`)

// xWeightedLength is a minimal twitter-text v3 counter: NFC first; a link
// weighs 23; an emoji cluster weighs 2; code points in U+0000–U+10FF,
// U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 weigh 1, all others 2.
// It errs on the lenient side (bare domains count as text), so a post that
// internal/compose accepts is never refused by the emulation.
func xWeightedLength(s string) int {
	s = norm.NFC.String(s)
	n, last := 0, 0
	for _, loc := range xURLPattern.FindAllStringIndex(s, -1) {
		n += xTextWeight(s[last:loc[0]]) + 23
		last = loc[1]
	}
	return n + xTextWeight(s[last:])
}

func xTextWeight(s string) int {
	n := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		rs := g.Runes()
		if xIsEmoji(rs) {
			n += 2
			continue
		}
		for _, r := range rs {
			n += xRuneWeight(r)
		}
	}
	return n
}

func xRuneWeight(r rune) int {
	switch {
	case r <= 0x10FF, 0x2000 <= r && r <= 0x200D, 0x2010 <= r && r <= 0x201F, 0x2032 <= r && r <= 0x2037:
		return 1
	}
	return 2
}

func xIsEmoji(rs []rune) bool {
	r := rs[0]
	switch {
	case 0x1F000 <= r && r <= 0x1FAFF, 0x2600 <= r && r <= 0x27BF:
		return true
	case len(rs) > 1 && (rs[1] == 0xFE0F || rs[1] == 0x20E3):
		return true
	}
	return false
}

// xURLEntity is a link in a post: indices are code points of the display text.
type xURLEntity struct {
	Start, End  int
	URL         string // t.co
	ExpandedURL string
	DisplayURL  string
}

// xLinkify rewrites the links of text to t.co links, as X does on the way in,
// and returns the display text with its URL entities.
func xLinkify(text, postID string) (string, []xURLEntity) {
	var b strings.Builder
	var ents []xURLEntity
	last := 0
	for i, loc := range xURLPattern.FindAllStringIndex(text, -1) {
		b.WriteString(text[last:loc[0]])
		orig := text[loc[0]:loc[1]]
		tco := "https://t.co/" + xShortCode(postID, i)
		start := utf8.RuneCountInString(b.String())
		b.WriteString(tco)
		ents = append(ents, xURLEntity{
			Start: start, End: start + utf8.RuneCountInString(tco),
			URL: tco, ExpandedURL: orig, DisplayURL: xDisplayURL(orig),
		})
		last = loc[1]
	}
	b.WriteString(text[last:])
	return b.String(), ents
}

func xShortCode(postID string, i int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	h := fnv.New64a()
	h.Write([]byte(postID))
	h.Write([]byte{byte(i)})
	v := h.Sum64()
	code := make([]byte, 10)
	for j := range code {
		code[j] = alphabet[v%62]
		v /= 62
	}
	return string(code)
}

func xDisplayURL(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	u = strings.TrimPrefix(u, "www.")
	if utf8.RuneCountInString(u) > 26 {
		return string([]rune(u)[:25]) + "…"
	}
	return u
}

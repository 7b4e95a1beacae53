package emulator

import (
	"hash/fnv"
	"regexp"
	"strings"
	"unicode/utf8"
)

// xURLPattern finds the links the emulation rewrites to t.co.
var xURLPattern = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:!?)\]'}]`)

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

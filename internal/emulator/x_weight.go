package emulator

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"

	"github.com/heraldhq/herald/internal/compose"
)

// The emulation's own count of a post's weighted length, written from
// twitter-text v3's published rules (config/v3.json and the conformance
// suites in testdata/twitter-text), apart from the production composer's
// count so that a counting bug in either shows: the text is NFC-normalised;
// a code point in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F or
// U+2032–U+2037 weighs 1, any other 2; an emoji (with its modifiers,
// joiners and variation selectors) weighs 2; every URL weighs 23. Only the
// list of top-level domains is shared with the composer: it is data.

const (
	xMaxWeightedLength = 280
	xURLWeight         = 23
)

// xWeightedLength returns text's weighted length as X counts it.
func xWeightedLength(text string) int {
	s := norm.NFC.String(text)
	n, last := 0, 0
	for _, u := range xFindURLs(s) {
		n += xWeighText(s[last:u[0]]) + xURLWeight
		last = u[1]
	}
	return n + xWeighText(s[last:])
}

// xWeighText weighs text without URLs: emoji clusters 2, the rest per code
// point.
func xWeighText(s string) int {
	n := 0
	state := -1
	for s != "" {
		var cluster string
		cluster, s, _, state = uniseg.FirstGraphemeClusterInString(s, state)
		if xIsEmoji(cluster) {
			n += 2
			continue
		}
		for _, r := range cluster {
			n += xRuneWeight(r)
		}
	}
	return n
}

func xRuneWeight(r rune) int {
	switch {
	case r <= 0x10FF, r >= 0x2000 && r <= 0x200D, r >= 0x2010 && r <= 0x201F, r >= 0x2032 && r <= 0x2037:
		return 1
	}
	return 2
}

// xIsEmoji reports whether a grapheme cluster is an emoji: it starts with a
// pictograph, or carries an emoji joiner, variation selector, keycap, skin
// tone or tag sequence.
func xIsEmoji(c string) bool {
	first, _ := utf8.DecodeRuneInString(c)
	if xPictograph(first) {
		return true
	}
	if utf8.RuneCountInString(c) == 1 {
		return false
	}
	for _, r := range c {
		switch {
		case r == 0x200D, r == 0xFE0F, r == 0x20E3, r >= 0x1F3FB && r <= 0x1F3FF, r >= 0xE0020 && r <= 0xE007F:
			return true
		}
	}
	return false
}

// xPictograph covers the blocks emoji are drawn from.
func xPictograph(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x2300 && r <= 0x23FF,
		r >= 0x2B00 && r <= 0x2BFF, r >= 0x1F1E6 && r <= 0x1F1FF:
		return true
	}
	return false
}

// xFindURLs returns the byte spans of the URLs X would link in s: with an
// http(s) scheme, or a bare ASCII domain, on a host whose labels are at
// most 63 characters once punycode-encoded and whose last label is a known
// top-level domain, with an optional port and path.
func xFindURLs(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		if !xURLBoundary(s, i) {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		end, ok := xURLAt(s, i)
		if !ok {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		out = append(out, [2]int{i, end})
		i = end
	}
	return out
}

// xURLBoundary: a URL starts at the start of the text or after a character
// that cannot be part of a word, an address or a path.
func xURLBoundary(s string, i int) bool {
	if i == 0 {
		return true
	}
	prev, _ := utf8.DecodeLastRuneInString(s[:i])
	return !(unicode.IsLetter(prev) || unicode.IsDigit(prev) || unicode.IsMark(prev) || strings.ContainsRune("@#$.-_/:", prev))
}

// xURLAt parses a URL starting at s[i:] and returns where it ends.
func xURLAt(s string, i int) (int, bool) {
	j := i
	scheme := false
	for _, p := range []string{"https://", "http://"} {
		if len(s)-i >= len(p) && strings.EqualFold(s[i:i+len(p)], p) {
			j, scheme = i+len(p), true
			break
		}
	}
	// Host: labels of letters, digits, marks, '-' and '_' separated by dots.
	hostStart := j
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '-' || r == '_' || r == '.') {
			break
		}
		if !scheme && r >= utf8.RuneSelf {
			break // a bare domain is ASCII
		}
		j += size
	}
	host := strings.TrimRight(s[hostStart:j], ".-_")
	j = hostStart + len(host)
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return 0, false
	}
	for _, l := range labels {
		a, err := idna.Punycode.ToASCII(l)
		if l == "" || err != nil || len(a) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return 0, false
		}
	}
	if !compose.IsTLD(strings.ToLower(labels[len(labels)-1])) {
		return 0, false
	}
	if strings.Contains(labels[len(labels)-1], "_") || strings.Contains(labels[len(labels)-2], "_") {
		return 0, false
	}
	// Port.
	if j < len(s) && s[j] == ':' {
		k := j + 1
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j+1 {
			j = k
		}
	}
	// Path, query and fragment.
	if j < len(s) && (s[j] == '/' || s[j] == '?' || s[j] == '#') {
		k := j
		for k < len(s) {
			r, size := utf8.DecodeRuneInString(s[k:])
			if !xPathRune(r) {
				break
			}
			k += size
		}
		j = xTrimPath(s, hostStart, k)
	}
	return j, true
}

// xPathRune: the characters a URL's path, query and fragment may hold.
func xPathRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r > ' ' && strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!*'();:@&=+$,/?%#[]|", r)
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// xTrimPath drops trailing punctuation from a URL ending at end, and a
// closing parenthesis it did not open.
func xTrimPath(s string, start, end int) int {
	for end > start {
		c := s[end-1]
		switch {
		case strings.IndexByte(".,;:!?'\"*", c) >= 0:
			end--
			continue
		case c == ')' && strings.Count(s[start:end], "(") < strings.Count(s[start:end], ")"):
			end--
			continue
		}
		break
	}
	return end
}

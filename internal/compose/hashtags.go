package compose

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Hashtags turns an article's categories into at most n hashtags, in order:
// each CamelCased ("world news" → "#WorldNews"), accents kept, punctuation
// and spaces dropped ("U.S. politics" → "#USPolitics"), without duplicates
// (ignoring case) and without tags that have no letter (X does not link
// "#2024"). A category whose meaning rests on a symbol a hashtag cannot
// hold ("C++", "C#", "Disney+", "5%", "$") is left out rather than
// mangled into another word ("#C").
func Hashtags(categories []string, n int) []string {
	if n <= 0 || len(categories) == 0 {
		return nil
	}
	tags := make([]string, 0, min(n, len(categories)))
	for _, c := range categories {
		tag := hashtag(plain(c))
		if tag == "" || containsFold(tags, tag) {
			continue
		}
		tags = append(tags, tag)
		if len(tags) == n {
			break
		}
	}
	return tags
}

// hashtag CamelCases one category, or returns "" if it has no letter or
// cannot make a faithful hashtag.
func hashtag(c string) string {
	c = strings.TrimPrefix(strings.TrimSpace(c), "#")
	if strings.IndexFunc(c, meaningfulSymbol) >= 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(len(c) + 1)
	b.WriteByte('#')
	startWord, letter := true, false
	for _, r := range c {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
			startWord = true
			continue
		}
		if unicode.IsLetter(r) {
			letter = true
		}
		if startWord {
			r = unicode.ToUpper(r)
			startWord = false
		}
		b.WriteRune(r)
	}
	if !letter {
		return ""
	}
	return b.String()
}

// meaningfulSymbol reports whether r carries meaning a hashtag would lose
// by dropping it: math and currency symbols (+ = < > ± ×, $ €), and # @ %
// * °. Spaces, dots, hyphens, apostrophes and "&" only join words.
func meaningfulSymbol(r rune) bool {
	switch r {
	case '#', '@', '%', '*', '°', '＃', '＠':
		return true
	}
	return unicode.Is(unicode.Sm, r) || unicode.Is(unicode.Sc, r)
}

func containsFold(list []string, s string) bool {
	for _, t := range list {
		if strings.EqualFold(t, s) {
			return true
		}
	}
	return false
}

// containsTag reports whether text already carries tag as a hashtag
// (ignoring case), so it is not added twice.
func containsTag(text, tag string) bool {
	for i := 0; i+len(tag) <= len(text); {
		j := strings.IndexByte(text[i:], '#')
		if j < 0 {
			return false
		}
		i += j
		if i+len(tag) <= len(text) && strings.EqualFold(text[i:i+len(tag)], tag) {
			if end := i + len(tag); end == len(text) || !isTagRune(text[end:]) {
				return true
			}
		}
		i++
	}
	return false
}

// isTagRune reports whether s starts with a character that would continue a
// hashtag.
func isTagRune(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_'
}

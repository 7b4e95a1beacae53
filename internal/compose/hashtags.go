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
// "#2024").
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

// hashtag CamelCases one category, or returns "" if it has no letter.
func hashtag(c string) string {
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

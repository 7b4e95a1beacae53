package feed

import "github.com/heraldhq/herald/internal/herald"

// plainText is herald.PlainText(s). Most feed text is printable ASCII,
// plain or in a few bare tags ("<p>…</p>"): for that it gives the same
// result directly, without the HTML tokenizer, and plain text back
// without a copy; anything else goes to herald.PlainText.
func plainText(s string) string {
	if isPlain(s) {
		return s
	}
	if out, ok := bareMarkupText(s); ok {
		return out
	}
	return herald.PlainText(s)
}

// isPlain reports whether s is printable ASCII with no markup, no leading,
// trailing or repeated space: what herald.PlainText leaves as it is.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			if i == 0 || i == len(s)-1 || s[i-1] == ' ' {
				return false
			}
		case c < 0x20 || c >= 0x7f || c == '<' || c == '&':
			return false
		}
	}
	return true
}

// bareTags are the tags bareMarkupText reads: none with attributes, none
// the tokenizer reads raw text after; true for the inline ones (as
// herald.PlainText has them), which do not separate words.
var bareTags = map[string]bool{
	"a": true, "b": true, "i": true, "em": true, "strong": true, "span": true, "u": true, "small": true,
	"code": true, "sub": true, "sup": true,
	"p": false, "br": false, "div": false, "li": false, "ul": false, "ol": false, "blockquote": false,
	"h1": false, "h2": false, "h3": false, "h4": false, "h5": false, "h6": false, "hr": false,
}

// bareMarkupText is herald.PlainText(s) for printable ASCII text (white
// space aside) with no entities and only bareTags, without attributes;
// false for anything else.
func bareMarkupText(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '<':
			end, inline, ok := bareTag(s, i)
			if !ok {
				return "", false
			}
			space = space || !inline
			i = end
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			space = true
		case c < 0x20 || c >= 0x7f || c == '&':
			return "", false
		default:
			if space && len(b) > 0 {
				b = append(b, ' ')
			}
			space = false
			b = append(b, c)
		}
		i++
	}
	return string(b), true
}

// bareTag reads the tag at s[i] ('<'): "<name>", "</name>" or "<name/>"
// with name in bareTags. It returns the index after it and whether the tag
// is inline.
func bareTag(s string, i int) (end int, inline, ok bool) {
	j := i + 1
	closing := j < len(s) && s[j] == '/'
	if closing {
		j++
	}
	start := j
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || j > start && s[j] >= '0' && s[j] <= '9') {
		j++
	}
	name := s[start:j]
	if !closing && j < len(s) && s[j] == '/' {
		j++
	}
	if j >= len(s) || s[j] != '>' || name == "" {
		return 0, false, false
	}
	inline, ok = bareTags[lowerASCII(name)]
	return j + 1, inline, ok
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for k := i; k < len(b); k++ {
				if b[k] >= 'A' && b[k] <= 'Z' {
					b[k] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

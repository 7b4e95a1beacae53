package feed

import "github.com/heraldhq/herald/internal/herald"

// plainText is herald.PlainText(s). Most feed titles are already plain
// text, which it gives back as they are, without the HTML tokenizer.
func plainText(s string) string {
	if isPlain(s) {
		return s
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

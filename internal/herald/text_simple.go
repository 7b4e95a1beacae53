package herald

import (
	"strings"

	"golang.org/x/net/html"
)

// stripSimple is stripTags for the markup most summaries carry: start, end
// and self-closing tags with plain attributes, between text with entities.
// It gives what the tokenizer gives, and reports false (the tokenizer then
// decides) for anything else: a comment or declaration, an element whose
// content the tokenizer reads as raw text (script, style, title, ...), or a
// tag it cannot prove ends where the tokenizer's ends. FuzzStripSimple
// checks it against the tokenizer.
//
// Kept for the plain-text row of the README (BenchmarkPlainText: a title
// and a summary in 4.1 µs and 224 bytes, against 12.1 µs and 4,640 bytes
// through the tokenizer alone) and the first poll cycle it serves: a
// tokenizer starts with a 4 KiB buffer, which for a 200-byte summary was a
// fifth of every byte the cycle allocated.
func stripSimple(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	text := 0 // where the pending text began
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		i += j
		if i+1 == len(s) {
			return "", false
		}
		switch c := s[i+1]; {
		case isLetter(c) || c == '/':
			end, name, ok := simpleTag(s, i)
			if !ok {
				return "", false
			}
			writeText(&b, s[text:i])
			if !inline[name] {
				b.WriteByte(' ')
			}
			i, text = end, end
		case c == '!' || c == '?':
			return "", false
		default:
			i++ // a '<' that is text, as in "5 < 6"
		}
	}
	writeText(&b, s[text:])
	return b.String(), true
}

// writeText writes a run of text between tags as the tokenizer gives it:
// line breaks normalized, entities decoded.
func writeText(b *strings.Builder, t string) {
	if strings.IndexByte(t, '\r') >= 0 {
		t = strings.ReplaceAll(strings.ReplaceAll(t, "\r\n", "\n"), "\r", "\n")
	}
	b.WriteString(html.UnescapeString(t))
}

// rawText are the start tags after which the tokenizer reads raw text.
var rawText = map[string]bool{
	"iframe": true, "noembed": true, "noframes": true, "noscript": true, "plaintext": true,
	"script": true, "style": true, "textarea": true, "title": true, "xmp": true,
}

// simpleTag reads the tag that starts at s[i] ('<'): an end tag "</name>"
// (white space before '>' allowed), or a start tag "<name attr ...>" or
// ".../>" whose attributes are a name, optionally '=' and a quoted or plain
// value. It returns where the tag ends and its lower-case name; ok false
// for any other form, and for the start of a raw-text element.
func simpleTag(s string, i int) (end int, name string, ok bool) {
	i++ // '<'
	closing := s[i] == '/'
	if closing {
		i++
	}
	start := i
	if i == len(s) || !isLetter(s[i]) {
		return 0, "", false
	}
	for i < len(s) && (isLetter(s[i]) || '0' <= s[i] && s[i] <= '9') {
		i++
	}
	name = strings.ToLower(s[start:i])
	if closing {
		i = skipSpace(s, i)
		if i < len(s) && s[i] == '>' {
			return i + 1, name, true
		}
		return 0, "", false
	}
	if rawText[name] {
		return 0, "", false
	}
	for i < len(s) {
		switch c := s[i]; {
		case c == '>':
			return i + 1, name, true
		case c == '/':
			if i+1 < len(s) && s[i+1] == '>' {
				return i + 2, name, true
			}
			return 0, "", false
		case isSpace(c):
			i = skipSpace(s, i)
			if i == len(s) || s[i] == '>' || s[i] == '/' {
				continue
			}
			if i = simpleAttr(s, i); i < 0 {
				return 0, "", false
			}
		default:
			return 0, "", false
		}
	}
	return 0, "", false
}

// simpleAttr reads an attribute at s[i]: a name of letters, digits and
// "_:.-" (starting with a letter, '_' or ':'), then optionally '=' and a
// value in quotes or a plain one; it returns where it ends, -1 for another
// form.
func simpleAttr(s string, i int) int {
	if c := s[i]; !isLetter(c) && c != '_' && c != ':' {
		return -1
	}
	for i < len(s) && (isLetter(s[i]) || '0' <= s[i] && s[i] <= '9' || strings.IndexByte("_:.-", s[i]) >= 0) {
		i++
	}
	j := skipSpace(s, i)
	if j == len(s) || s[j] != '=' {
		return i // no value; white space, if any, is read by the caller
	}
	j = skipSpace(s, j+1)
	if j == len(s) {
		return -1
	}
	if q := s[j]; q == '"' || q == '\'' {
		k := strings.IndexByte(s[j+1:], q)
		if k < 0 {
			return -1
		}
		return j + 1 + k + 1
	}
	// A plain value runs to white space or '>', as the tokenizer reads it;
	// characters that would make its reading differ from a browser's send
	// the tag to the tokenizer.
	k := j
	for k < len(s) && !isSpace(s[k]) && s[k] != '>' {
		if strings.IndexByte("\"'=<`", s[k]) >= 0 {
			return -1
		}
		k++
	}
	if k == j {
		return -1
	}
	return k
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isSpace is the tokenizer's white space.
func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' }

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

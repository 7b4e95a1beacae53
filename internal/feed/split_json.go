package feed

import (
	"strings"
	"unicode/utf8"
)

// splitJSON finds the elements of a JSON Feed's top-level "items" array. Any
// other top-level key that encoding/json could match to "items" (another
// case, an escape, a non-ASCII key) fails the split, as does an "items" that
// is not an array.
func splitJSON(b []byte, i int) (split, bool) {
	s := split{json: true, ctx: ctxJSON}
	i++ // {
	seen := false
	for n := 0; ; n++ {
		i = skipSpace(b, i)
		if i >= len(b) {
			return split{}, false
		}
		if b[i] == '}' && n == 0 {
			i++
			break
		}
		if b[i] != '"' {
			return split{}, false
		}
		end, ok := jsonString(b, i)
		if !ok {
			return split{}, false
		}
		key := b[i+1 : end-1]
		for _, c := range key {
			if c == '\\' || c >= utf8.RuneSelf {
				return split{}, false
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return split{}, false
		}
		i = skipSpace(b, i+1)
		isItems := string(key) == "items"
		if !isItems && strings.EqualFold(string(key), "items") || isItems && seen {
			return split{}, false
		}
		if isItems {
			seen = true
			if i >= len(b) || b[i] != '[' {
				return split{}, false
			}
			i++
			for k := 0; ; k++ {
				i = skipSpace(b, i)
				if i < len(b) && b[i] == ']' && k == 0 {
					i++
					break
				}
				end, ok := jsonValue(b, i)
				if !ok {
					return split{}, false
				}
				s.items = append(s.items, span{i, end})
				var more bool
				if i, more, ok = afterElement(b, end, ']'); !ok {
					return split{}, false
				}
				if !more {
					break
				}
			}
		} else {
			end, ok := jsonValue(b, i)
			if !ok {
				return split{}, false
			}
			i = end
		}
		var more bool
		if i, more, ok = afterElement(b, i, '}'); !ok {
			return split{}, false
		}
		if !more {
			break
		}
	}
	if skipSpace(b, i) != len(b) {
		return split{}, false
	}
	return s, true
}

// afterElement reads what follows an element of an array or object that
// ends at b[i]: a comma (more follows) or close (the end); next is the offset
// after it.
func afterElement(b []byte, i int, close byte) (next int, more, ok bool) {
	i = skipSpace(b, i)
	switch {
	case i < len(b) && b[i] == ',':
		return i + 1, true, true
	case i < len(b) && b[i] == close:
		return i + 1, false, true
	}
	return i, false, false
}

// jsonString returns the offset after the string that starts at b[i] ('"').
func jsonString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '\\':
			j++
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return 0, false
		}
	}
	return 0, false
}

// jsonValue returns the offset after the value that starts at b[i]: a string,
// a balanced object or array, or a bare literal.
func jsonValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return jsonString(b, i)
	case '{', '[':
		var stack []byte
		for j := i; j < len(b); j++ {
			switch c := b[j]; c {
			case '"':
				end, ok := jsonString(b, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				stack = append(stack, c)
			case '}', ']':
				if len(stack) == 0 || stack[len(stack)-1] != c-2 { // '{'+2 == '}', '['+2 == ']'
					return 0, false
				}
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j, j > i
}

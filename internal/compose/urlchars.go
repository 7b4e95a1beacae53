package compose

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Character classes of twitter-text's URL pattern.

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isASCIIAlnum(c byte) bool  { return isASCIILetter(c) || (c >= '0' && c <= '9') }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// isLatinAccent reports whether r is one of twitter-text's accented Latin
// letters (and combining diacritics), allowed in hosts and paths.
func isLatinAccent(r rune) bool {
	switch {
	case r >= 0xc0 && r <= 0xd6, r >= 0xd8 && r <= 0xf6, r >= 0xf8 && r <= 0x24f,
		r >= 0x300 && r <= 0x36f, r >= 0x1e00 && r <= 0x1eff:
		return true
	}
	switch r {
	case 0x253, 0x254, 0x256, 0x257, 0x259, 0x25b, 0x263, 0x268, 0x26f, 0x272, 0x289, 0x28b, 0x2bb:
		return true
	}
	return false
}

func isCyrillic(r rune) bool { return r >= 0x400 && r <= 0x4ff }

// isURLChar: a character of a host label without a scheme.
func isURLChar(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIAlnum(byte(r))
	}
	return isLatinAccent(r)
}

// isUnicodeHostChar: a character of a Unicode host label, which is anything
// but punctuation, space and the General Punctuation block.
func isUnicodeHostChar(r rune) bool {
	if r < utf8.RuneSelf {
		return !strings.ContainsRune("-_!\"#$%&'()*+,./:;<=>?@[]^`{|}~ \t\n\v\f\r", r)
	}
	if r >= 0x2000 && r <= 0x206f {
		return false
	}
	return !unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}

func isPathChar(r rune) bool {
	if r < utf8.RuneSelf {
		return pathChars[r]&1 != 0
	}
	return r == '\u2013' || isLatinAccent(r) || isCyrillic(r)
}

func isPathEndChar(r rune) bool {
	if r < utf8.RuneSelf {
		return pathChars[r]&2 != 0
	}
	return isLatinAccent(r) || isCyrillic(r)
}

// pathChars and queryChars: bit 1 = allowed, bit 2 = allowed at the end.
var pathChars, queryChars = func() (p, q [256]byte) {
	set := func(t *[256]byte, chars string, bit byte) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] |= bit
		}
	}
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	set(&p, alnum+"!*';:=+,.$/%#[]-_~|&@", 1)
	set(&p, alnum+"=_#/-+", 2)
	set(&q, alnum+"!?*'();:&=+$/%#[]-_.,~|@", 1)
	set(&q, alnum+"-_&=#/", 2)
	return p, q
}()

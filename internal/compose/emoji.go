package compose

import "unicode/utf8"

// Code points that build emoji sequences (Unicode TS #51).
const (
	zwj          = '\u200d'
	vs16         = '\ufe0f'
	keycapMark   = '\u20e3'
	modifierLo   = 0x1f3fb // skin tones
	modifierHi   = 0x1f3ff
	regionalLo   = 0x1f1e6 // regional indicators: two make a flag
	regionalHi   = 0x1f1ff
	tagLo        = 0xe0020 // tag characters (subdivision flags)
	tagHi        = 0xe007e
	tagCancel    = 0xe007f
	minPictoRune = 0x00a9
)

// emojiSequence returns the length in bytes of the emoji sequence of more
// than one code point that starts s (keycap, flag, tag sequence, modified or
// ZWJ-joined pictographs), or 0 when s does not start with one. A single code
// point is weighed on its own, which gives what twitter-text gives: emoji
// outside the weight-1 ranges weigh 2 either way, and "©" without U+FE0F is
// text.
func emojiSequence(s string) int {
	if len(s) < 2 {
		return 0
	}
	r, n := utf8.DecodeRuneInString(s)
	switch {
	case r == '#' || r == '*' || (r >= '0' && r <= '9'):
		rest := s[n:]
		if next, m := utf8.DecodeRuneInString(rest); next == vs16 {
			rest = rest[m:]
		}
		if next, m := utf8.DecodeRuneInString(rest); next == keycapMark {
			return len(s) - len(rest) + m
		}
		return 0
	case r >= regionalLo && r <= regionalHi:
		if next, m := utf8.DecodeRuneInString(s[n:]); next >= regionalLo && next <= regionalHi {
			return n + m
		}
		return 0
	case !isPictographic(r):
		return 0
	}
	i := n + emojiElementTail(s[n:])
	for i < len(s) {
		next, m := utf8.DecodeRuneInString(s[i:])
		if next != zwj {
			break
		}
		after, k := utf8.DecodeRuneInString(s[i+m:])
		if !isPictographic(after) {
			break
		}
		i += m + k
		i += emojiElementTail(s[i:])
	}
	if i == n {
		return 0
	}
	return i
}

// mayStartEmoji reports whether r can begin an emoji sequence.
func mayStartEmoji(r rune) bool {
	switch {
	case r == '#' || r == '*' || (r >= '0' && r <= '9'):
		return true
	case r < minPictoRune:
		return false
	case r >= regionalLo && r <= regionalHi:
		return true
	}
	return isPictographic(r)
}

// emojiElementTail returns the length of what may follow a pictograph in one
// element: a presentation selector or a skin tone, or a tag sequence.
func emojiElementTail(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	switch {
	case r == vs16, r >= modifierLo && r <= modifierHi:
		return n
	case r >= tagLo && r <= tagHi:
		i := n
		for i < len(s) {
			t, m := utf8.DecodeRuneInString(s[i:])
			if t == tagCancel {
				return i + m
			}
			if t < tagLo || t > tagHi {
				break
			}
			i += m
		}
		return i
	}
	return 0
}

// isPictographic reports whether r has the Unicode Extended_Pictographic
// property.
func isPictographic(r rune) bool {
	if r < minPictoRune || (r > 0x3299 && r < 0x1f000) {
		return false
	}
	lo, hi := 0, len(pictographic)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if pictographic[m][1] < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(pictographic) && pictographic[lo][0] <= r
}

// pictographic lists the Extended_Pictographic ranges of Unicode 15.0
// (emoji-data.txt), merged.
var pictographic = [...][2]rune{
	{0x00A9, 0x00A9}, {0x00AE, 0x00AE}, {0x203C, 0x203C}, {0x2049, 0x2049},
	{0x2122, 0x2122}, {0x2139, 0x2139}, {0x2194, 0x2199}, {0x21A9, 0x21AA},
	{0x231A, 0x231B}, {0x2328, 0x2328}, {0x2388, 0x2388}, {0x23CF, 0x23CF},
	{0x23E9, 0x23F3}, {0x23F8, 0x23FA}, {0x24C2, 0x24C2}, {0x25AA, 0x25AB},
	{0x25B6, 0x25B6}, {0x25C0, 0x25C0}, {0x25FB, 0x25FE}, {0x2600, 0x2605},
	{0x2607, 0x2612}, {0x2614, 0x2685}, {0x2690, 0x2705}, {0x2708, 0x2712},
	{0x2714, 0x2714}, {0x2716, 0x2716}, {0x271D, 0x271D}, {0x2721, 0x2721},
	{0x2728, 0x2728}, {0x2733, 0x2734}, {0x2744, 0x2744}, {0x2747, 0x2747},
	{0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757},
	{0x2763, 0x2767}, {0x2795, 0x2797}, {0x27A1, 0x27A1}, {0x27B0, 0x27B0},
	{0x27BF, 0x27BF}, {0x2934, 0x2935}, {0x2B05, 0x2B07}, {0x2B1B, 0x2B1C},
	{0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x3030, 0x3030}, {0x303D, 0x303D},
	{0x3297, 0x3297}, {0x3299, 0x3299}, {0x1F000, 0x1F0FF}, {0x1F10D, 0x1F10F},
	{0x1F12F, 0x1F12F}, {0x1F16C, 0x1F171}, {0x1F17E, 0x1F17F}, {0x1F18E, 0x1F18E},
	{0x1F191, 0x1F19A}, {0x1F1AD, 0x1F1E5}, {0x1F201, 0x1F20F}, {0x1F21A, 0x1F21A},
	{0x1F22F, 0x1F22F}, {0x1F232, 0x1F23A}, {0x1F23C, 0x1F23F}, {0x1F249, 0x1F3FA},
	{0x1F400, 0x1F53D}, {0x1F546, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F774, 0x1F77F},
	{0x1F7D5, 0x1F7FF}, {0x1F80C, 0x1F80F}, {0x1F848, 0x1F84F}, {0x1F85A, 0x1F85F},
	{0x1F888, 0x1F88F}, {0x1F8AE, 0x1F8FF}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
	{0x1F947, 0x1FAFF}, {0x1FC00, 0x1FFFD},
}

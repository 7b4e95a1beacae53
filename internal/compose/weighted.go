package compose

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// X's counting rules, from twitter-text's v3.json (checked against
// testdata/twitter-text/v3.json by the tests).
const (
	// MaxTweetLength is X's limit on a post's weighted length.
	MaxTweetLength = 280
	// TransformedURLLength is what any URL weighs on X, whatever its length
	// (X rewrites it to a t.co link).
	TransformedURLLength = 23
)

// weightRange is a block of code points with a weight (scaled by 100).
type weightRange struct {
	start, end rune
	weight     int
}

// counter holds a twitter-text counting configuration.
type counter struct {
	maxWeightedLength int
	scale             int
	defaultWeight     int
	transformedURL    int
	ranges            []weightRange
	emojiParsing      bool
}

// v3 is twitter-text's v3.json, the configuration X applies today.
var v3 = counter{
	maxWeightedLength: MaxTweetLength,
	scale:             100,
	defaultWeight:     200,
	transformedURL:    TransformedURLLength,
	ranges: []weightRange{
		{0, 4351, 100},
		{8192, 8205, 100},
		{8208, 8223, 100},
		{8242, 8247, 100},
	},
	emojiParsing: true,
}

// WeightedLength returns the length of s as X counts it (twitter-text v3):
// after NFC normalisation, each URL weighs 23, each emoji sequence 2, each code
// point in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F or U+2032–U+2037 weighs
// 1 and any other 2. A post is accepted when this is at most MaxTweetLength.
func WeightedLength(s string) int { return v3.weightedLength(s) }

func (c *counter) weightedLength(s string) int {
	if !quickNFC(s) && !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	var urls urlScanner
	urls.init(s, true)
	u, ok := urls.next()

	total := 0
	for i := 0; i < len(s); {
		if ok && u.start <= i {
			if u.start == i {
				total += c.transformedURL * c.scale
				i = u.end
			}
			u, ok = urls.next()
			continue
		}
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if c.emojiParsing && mayStartEmoji(r) {
			if n := emojiSequence(s[i:]); n > 0 {
				total += c.defaultWeight
				i += n
				continue
			}
		}
		total += c.weight(r)
		i += size
	}
	return total / c.scale
}

// weight returns the scaled weight of one code point.
func (c *counter) weight(r rune) int {
	for _, w := range c.ranges {
		if r >= w.start && r <= w.end {
			return w.weight
		}
	}
	return c.defaultWeight
}

// quickNFC reports whether s is certainly in NFC without consulting the
// normalisation tables: every code point is one that never decomposes nor
// combines (NFC_Quick_Check=Yes, canonical combining class 0). That holds for
// most headlines; anything else goes to norm.
func quickNFC(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r < 0x300, // Latin-1, Latin Extended-A and -B, IPA
			r >= 0x4e00 && r <= 0x9fff,   // CJK Unified Ideographs
			r >= 0x3041 && r <= 0x3096,   // Hiragana (not the combining voicing marks)
			r >= 0x30a1 && r <= 0x30fa,   // Katakana
			r >= 0xac00 && r <= 0xd7a3,   // Hangul syllables
			r >= 0x1f300 && r <= 0x1faff, // emoji
			r == zwj, r == vs16, r == '…', r == '—', r == '–',
			r == '‘', r == '’', r == '“', r == '”', r == '、', r == '。':
			i += n
		default:
			return false
		}
	}
	return true
}

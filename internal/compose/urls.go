package compose

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// URL extraction as twitter-text's Java Extractor does it (the code X's
// servers share): an optional http(s) scheme, a host ending in a known
// top-level domain (tlds_gen.go) or punycode, an optional port, path and
// query. Without a scheme the host must be made of ASCII and Latin letters
// ("Amazon.com" in a headline is a URL); with one, a single Unicode label is
// allowed too ("http://☃.net"). The scan is hand-written rather than a
// regexp because RE2 has no look-around and a 1,500-way TLD alternation is slow.

const (
	maxURLLength   = 4096 // in UTF-16 units, scheme included
	maxTcoSlug     = 40
	maxLabelLength = 63
	schemeLength   = len("https://") // added to a URL that has no scheme
)

var (
	tldSet      = make(map[string]struct{}, len(genericTLDs)+len(countryTLDs))
	maxTLDBytes int
)

func init() {
	for _, list := range [][]string{genericTLDs, countryTLDs} {
		for _, t := range list {
			tldSet[t] = struct{}{}
			maxTLDBytes = max(maxTLDBytes, len(t))
		}
	}
}

// urlSpan is a URL's position in the text, in bytes.
type urlSpan struct{ start, end int }

// urlMatch is one match of the URL pattern, before it is validated.
type urlMatch struct {
	before             rune // the character before the URL, -1 at the start
	start, end         int
	hasScheme          bool
	hostStart, hostEnd int
}

// urlScanner finds URLs one at a time without allocating.
type urlScanner struct {
	s               string
	pos             int // where the next search starts
	withoutProtocol bool
	done            bool
	// noDomainUntil: a scheme-less host cannot start before this offset
	// (see host), so a long hyphenated word or dotted chain is scanned
	// once, not once per hyphen or dot.
	noDomainUntil int
	naive         bool // tests: no skipping, to check it changes nothing
}

func (u *urlScanner) init(s string, withoutProtocol bool) {
	*u = urlScanner{s: s, withoutProtocol: withoutProtocol}
	// Every host has a dot.
	u.done = strings.IndexByte(s, '.') < 0
}

// next returns the next URL, or false when there are no more.
func (u *urlScanner) next() (urlSpan, bool) {
	for !u.done {
		m, ok := u.find()
		if !ok {
			u.done = true
			break
		}
		// Like Matcher.find, the search goes on after the whole match,
		// whether or not the match is kept.
		u.pos = max(m.end, u.pos+1)
		if span, ok := u.accept(m); ok {
			return span, true
		}
	}
	return urlSpan{}, false
}

// find returns the next match of the URL pattern at or after u.pos: a valid
// preceding character followed by a URL, or a URL at the start of the text.
func (u *urlScanner) find() (urlMatch, bool) {
	s := u.s
	for i := u.pos; i < len(s); {
		if i > 0 && s[i] < utf8.RuneSelf && !validPrecedingASCII[s[i]] {
			i++ // letters and digits: the common case
			continue
		}
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if validPreceding(r) && i+n < len(s) && mayStartURL(s[i+n:]) {
			if m, ok := u.matchAt(i + n); ok {
				m.before = r
				return m, true
			}
		}
		if i == 0 {
			if m, ok := u.matchAt(0); ok {
				m.before = -1
				return m, true
			}
		}
		i += n
	}
	return urlMatch{}, false
}

// mayStartURL reports whether s starts with a character a URL can start
// with: a scheme's "h" or a host character.
func mayStartURL(s string) bool {
	switch c := s[0]; {
	case c < utf8.RuneSelf:
		return isASCIIAlnum(c)
	case (c < 0xc3 || c > 0xcd) && c != 0xe1:
		return false // not the lead byte of a Latin letter or diacritic
	}
	r, _ := utf8.DecodeRuneInString(s)
	return isLatinAccent(r)
}

// validPreceding reports whether r may come right before a URL: anything but
// a letter or digit of ASCII, @, $, # (and their full-width forms) and the
// invalid code points.
func validPreceding(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return validPrecedingASCII[r]
	case r == '＠', r == '＃', r == '\ufffe', r == '\ufeff', r == '\uffff':
		return false
	}
	return true
}

var validPrecedingASCII = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = !isASCIIAlnum(byte(c)) && c != '@' && c != '$' && c != '#'
	}
	return t
}()

// matchAt matches scheme, host, port, path and query at p.
func (u *urlScanner) matchAt(p int) (urlMatch, bool) {
	if n := schemeLen(u.s[p:]); n > 0 {
		if end, ok := u.host(p+n, true); ok {
			return u.finish(p, p+n, end), true
		}
	}
	if end, ok := u.host(p, false); ok {
		return u.finish(p, p, end), true
	}
	return urlMatch{}, false
}

// schemeLen returns the length of a leading "http://" or "https://" (any case).
func schemeLen(s string) int {
	if len(s) < 7 || !strings.EqualFold(s[:4], "http") {
		return 0
	}
	rest := s[4:]
	if rest[0] == 's' || rest[0] == 'S' {
		rest = rest[1:]
	}
	if !strings.HasPrefix(rest, "://") {
		return 0
	}
	return len(s) - len(rest) + 3
}

// finish extends a match past its host with the optional port, path and query.
func (u *urlScanner) finish(start, hostStart, hostEnd int) urlMatch {
	s := u.s
	i := hostEnd
	if i < len(s) && s[i] == ':' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j > i+1 {
			i = j
		}
	}
	if i < len(s) && s[i] == '/' {
		i = pathEnd(s, i+1)
	}
	if i < len(s) && s[i] == '?' {
		i = queryEnd(s, i+1, i)
	}
	return urlMatch{start: start, end: i, hasScheme: hostStart > start, hostStart: hostStart, hostEnd: hostEnd}
}

// host matches a host at q and returns where it ends. Labels followed by a
// dot are collected; the longest run of them that ends in a label followed
// by a known TLD wins (the regexp's greedy subdomain* backing off).
func (u *urlScanner) host(q int, afterScheme bool) (int, bool) {
	s := u.s
	if q >= u.noDomainUntil || u.naive {
		var startBuf, dotBuf [8]int
		starts, dots := startBuf[:0], dotBuf[:0]
		for pos := q; ; {
			e, ok := hostLabelEnd(s, pos)
			if !ok || e >= len(s) || s[e] != '.' {
				if len(starts) == 0 && e > pos && (e >= len(s) || s[e] != '.') {
					u.noDomainUntil = max(u.noDomainUntil, e)
				}
				break
			}
			starts, dots = append(starts, pos), append(dots, e)
			pos = e + 1
		}
		underscore := false
		for k := len(starts) - 1; k >= 0; k-- {
			if strings.IndexByte(s[starts[k]:dots[k]], '_') >= 0 {
				underscore = true
				continue // allowed in subdomains only
			}
			if end, ok := tldAt(s, dots[k]+1, true); ok {
				return end, true
			}
		}
		if len(starts) > 0 && !underscore {
			// A host starting later in this chain of labels would end at
			// the same dots, where no TLD follows: skip those starts, or
			// "a.a.a.a…" costs quadratic time.
			u.noDomainUntil = max(u.noDomainUntil, dots[len(dots)-1]+2)
		}
	}
	if afterScheme {
		// A single Unicode label and a TLD: http://☃.net
		if e, ok := labelEnd(s, q, isUnicodeHostChar, false); ok && e < len(s) && s[e] == '.' {
			return tldAt(s, e+1, false)
		}
	}
	return 0, false
}

// labelEnd scans the run of label characters (valid ones and '-', and '_' if
// allowed) at p and reports whether it is a label: not empty, beginning and
// ending with a valid character.
func labelEnd(s string, p int, valid func(rune) bool, underscore bool) (int, bool) {
	i := p
	var first, last rune = -1, -1
	for i < len(s) {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if !valid(r) && r != '-' && (!underscore || r != '_') {
			break
		}
		if first < 0 {
			first = r
		}
		last = r
		i += n
	}
	return i, i > p && valid(first) && valid(last)
}

// hostLabelEnd is labelEnd for scheme-less host labels, with an ASCII fast
// path: it is run on every word of a post.
func hostLabelEnd(s string, p int) (int, bool) {
	i := p
	for i < len(s) && labelBytes[s[i]] != 0 {
		i++
	}
	if i < len(s) && s[i] >= utf8.RuneSelf {
		return labelEnd(s, p, isURLChar, true)
	}
	return i, i > p && labelBytes[s[p]] == 1 && labelBytes[s[i-1]] == 1
}

// labelBytes: 1 for ASCII letters and digits, 2 for '-' and '_'.
var labelBytes = func() (t [256]byte) {
	for c := 0; c < utf8.RuneSelf; c++ {
		if isASCIIAlnum(byte(c)) {
			t[c] = 1
		}
	}
	t['-'], t['_'] = 2, 2
	return t
}()

// tldAt matches a top-level domain at q: a known one not followed by an
// ASCII letter or digit, '@', '+' or '-'; else, if allowed, punycode.
func tldAt(s string, q int, punycode bool) (int, bool) {
	best := -1
	var buf [64]byte
	for i := q; i < len(s) && i-q < maxTLDBytes; {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < utf8.RuneSelf {
			if !isASCIILetter(byte(r)) {
				break
			}
			buf[i-q] = byte(r) | 0x20 // lower case
		} else {
			if !unicode.IsLetter(r) && !unicode.IsMark(r) {
				break
			}
			copy(buf[i-q:], s[i:i+n])
		}
		i += n
		if i < len(s) && blocksTLD(s[i]) {
			continue
		}
		if i-q <= len(buf) {
			if _, ok := tldSet[string(buf[:i-q])]; ok {
				best = i
			}
		}
	}
	if best > 0 {
		return best, true
	}
	if punycode && len(s)-q > 4 && strings.EqualFold(s[q:q+4], "xn--") {
		i := q + 4
		for i < len(s) && (isASCIIAlnum(s[i]) || s[i] == '-') {
			i++
		}
		if i > q+4 {
			return i, true
		}
	}
	return 0, false
}

// blocksTLD reports whether c after a TLD means it was not one.
func blocksTLD(c byte) bool { return isASCIIAlnum(c) || c == '@' || c == '+' || c == '-' }

// pathEnd returns where the path starting after its '/' at i ends: the
// longest run of path characters and balanced parentheses that ends with a
// character allowed at the end ("/foo." does not take the dot).
func pathEnd(s string, i int) int {
	end := i
	for j := i; j < len(s); {
		if s[j] == '(' {
			k := parensEnd(s, j)
			if k == 0 {
				break
			}
			j, end = k, k
			continue
		}
		r, n := utf8.DecodeRuneInString(s[j:])
		if !isPathChar(r) {
			break
		}
		j += n
		if isPathEndChar(r) {
			end = j
		}
	}
	return end
}

// parensEnd matches balanced parentheses, nested at most once, at j.
func parensEnd(s string, j int) int {
	k := pathRun(s, j+1)
	if k < len(s) && s[k] == ')' && k > j+1 {
		return k + 1
	}
	if k < len(s) && s[k] == '(' {
		k2 := pathRun(s, k+1)
		if k2 > k+1 && k2 < len(s) && s[k2] == ')' {
			k3 := pathRun(s, k2+1)
			if k3 < len(s) && s[k3] == ')' {
				return k3 + 1
			}
		}
	}
	return 0
}

// pathRun returns the end of the run of path characters at i.
func pathRun(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isPathChar(r) {
			break
		}
		i += n
	}
	return i
}

// queryEnd returns the end of the longest run of query characters at i that
// ends with a character allowed at the end, or none (the '?' at none is not
// part of the URL).
func queryEnd(s string, i, none int) int {
	end := none
	for ; i < len(s) && queryChars[s[i]]&1 != 0; i++ {
		if queryChars[s[i]]&2 != 0 {
			end = i + 1
		}
	}
	return end
}

// accept applies the checks made after a match: scheme-less URLs must not
// follow "-_./", t.co links stop after their slug, and the host must be a
// valid IDN whose labels fit in 63 characters.
func (u *urlScanner) accept(m urlMatch) (urlSpan, bool) {
	if !m.hasScheme {
		if !u.withoutProtocol || strings.ContainsRune("-_./", m.before) {
			return urlSpan{}, false
		}
	}
	end := m.end
	if m.hasScheme {
		if n := tcoLen(u.s[m.start:m.end]); n != 0 {
			if n < 0 {
				return urlSpan{}, false
			}
			end = m.start + n
		}
	}
	if !validHost(u.s[m.hostStart:m.hostEnd], u.s[m.start:end], m.hasScheme) {
		return urlSpan{}, false
	}
	return urlSpan{m.start, end}, true
}

// tcoLen returns the length of a t.co link with its slug at the start of
// url, -1 if the slug is too long, 0 if url is no t.co link.
func tcoLen(url string) int {
	n := schemeLen(url)
	if n == 0 || len(url) < n+5 || !strings.EqualFold(url[n:n+5], "t.co/") {
		return 0
	}
	i := n + 5
	for i < len(url) && isASCIIAlnum(url[i]) {
		i++
	}
	switch slug := i - n - 5; {
	case slug == 0:
		return 0
	case slug > maxTcoSlug:
		return -1
	}
	return i
}

// validHost checks the host as java.net.IDN.toASCII would (labels of 1 to 63
// characters once punycode-encoded) and the URL's length in UTF-16 units
// with the host encoded and a scheme counted.
func validHost(host, url string, hasScheme bool) bool {
	if host == "" {
		return false
	}
	encoded := strings.Count(host, ".")
	for rest := host; rest != ""; {
		label, tail, _ := strings.Cut(rest, ".")
		rest = tail
		if !isASCII(label) {
			a, err := idna.Punycode.ToASCII(label)
			if err != nil {
				return false
			}
			label = a
		}
		if label == "" || len(label) > maxLabelLength {
			return false
		}
		encoded += len(label)
	}
	extra := encoded - utf16Len(host)
	if !hasScheme {
		extra += schemeLength
	}
	// A string has no more UTF-16 units than bytes: count only when it matters.
	return len(url)+extra <= maxURLLength || utf16Len(url)+extra <= maxURLLength
}

// IsTLD reports whether s (lower-case, without the dot) is a top-level
// domain of twitter-text's list.
func IsTLD(s string) bool {
	_, ok := tldSet[s]
	return ok
}

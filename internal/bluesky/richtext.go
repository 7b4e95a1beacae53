package bluesky

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/heraldhq/herald/internal/compose"
)

// Facet detection by the rules of Bluesky's reference RichText
// (@atproto/api, packages/api/src/rich-text/detection.ts and util.ts):
// links, bare domains with a known TLD, hashtags and cashtags, with ranges
// in UTF-8 bytes. Mentions are left out: Herald does not resolve handles.
// testdata/bluesky-richtext holds the reference's own test cases.

// jsSpace is JavaScript's \s: what the reference's regular expressions
// treat as white space (Go's \s is ASCII only).
const jsSpace = `\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

// linkRE is URL_REGEX, /(^|\s|\()((https?:\/\/[\S]+)|((?<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[\S]*))/gim.
var linkRE = regexp.MustCompile(`(?im)(^|[` + jsSpace + `]|\()((https?://[^` + jsSpace + `]+)|((?P<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[^` + jsSpace + `]*))`)

// cashtagRE is CASHTAG_REGEX without its lookahead, which cashtags checks.
var cashtagRE = regexp.MustCompile(`(^|[` + jsSpace + `]|\()\$([A-Za-z][A-Za-z0-9]{0,4})`)

// detectFacets returns the facets Bluesky's RichText detects in text, in
// its order: links, then tags, then cashtags.
func detectFacets(text string) []facet {
	out := linkFacets(text)
	out = append(out, tagFacets(text)...)
	return append(out, cashtagFacets(text)...)
}

func newFacet(start, end int, f feature) facet {
	var fc facet
	fc.Index.ByteStart, fc.Index.ByteEnd = start, end
	fc.Features = []feature{f}
	return fc
}

// linkFacets: a link runs to the next white space, less one trailing
// [.,;:!?] and then a trailing ")" when it holds no "(". A bare domain is a
// link (with https://) when its last label is a known TLD.
func linkFacets(text string) []facet {
	var out []facet
	domainGroup := linkRE.SubexpIndex("domain")
	for _, m := range linkRE.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[4], m[5]
		uri := text[start:end]
		if m[6] < 0 { // no scheme
			if d := m[2*domainGroup]; d < 0 || !validDomain(text[d:m[2*domainGroup+1]]) {
				continue
			}
			uri = "https://" + uri
		}
		if strings.ContainsAny(uri[len(uri)-1:], ".,;:!?") {
			uri, end = uri[:len(uri)-1], end-1
		}
		if strings.HasSuffix(uri, ")") && !strings.Contains(uri, "(") {
			uri, end = uri[:len(uri)-1], end-1
		}
		out = append(out, newFacet(start, end, feature{Type: "app.bsky.richtext.facet#link", URI: uri}))
	}
	return out
}

// validDomain is the reference's isValidDomain: the last label is a TLD,
// compared as written.
func validDomain(d string) bool {
	i := strings.LastIndexByte(d, '.')
	return i >= 0 && compose.IsTLD(d[i+1:])
}

// tagExcluded are the characters TAG_REGEX keeps out of a tag besides white
// space: soft hyphen, word joiner, hair space, zero-width space and joiners,
// and the combining enclosing screen.
func tagExcluded(r rune) bool {
	switch r {
	case '\u00ad', '\u2060', '\u200a', '\u200b', '\u200c', '\u200d', '\u20e2':
		return true
	}
	return isJSSpace(r)
}

func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff':
		return true
	}
	return r >= '\u2000' && r <= '\u200a'
}

// tagFacets follows TAG_REGEX: "#" or "＃" at the start or after white
// space, then a run of characters that are not excluded holding at least
// one that is neither an ASCII digit nor punctuation, not starting with
// U+FE0F; trailing punctuation is stripped and a tag of more than 64
// grapheme clusters is none.
func tagFacets(text string) []facet {
	var out []facet
	prevSpace := true // the start of the text counts as white space
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !prevSpace || (r != '#' && r != '＃') {
			prevSpace = isJSSpace(r)
			i += size
			continue
		}
		hash, body := i, i+size
		end := body
		for end < len(text) {
			c, n := utf8.DecodeRuneInString(text[end:])
			if tagExcluded(c) {
				break
			}
			end += n
		}
		run := text[body:end]
		valid := !strings.HasPrefix(run, "\ufe0f") && strings.IndexFunc(run, func(c rune) bool {
			return !(c >= '0' && c <= '9') && !unicode.IsPunct(c)
		}) >= 0
		if !valid {
			// The regular expression matched the sign alone; go on after it.
			prevSpace, i = false, body
			continue
		}
		tag := strings.TrimRightFunc(run, unicode.IsPunct)
		if tag != "" && (len(tag) <= 64 || uniseg.GraphemeClusterCount(tag) <= 64) {
			out = append(out, newFacet(hash, body+len(tag), feature{Type: "app.bsky.richtext.facet#tag", Tag: tag}))
		}
		prevSpace, i = false, end
	}
	return out
}

// cashtagFacets follows CASHTAG_REGEX: "$" and one to five letters or
// digits, the first a letter, followed by white space, the end, or one of
// . , ; : ! ? ) " ' ’; the tag is upper-cased.
func cashtagFacets(text string) []facet {
	var out []facet
	for _, m := range cashtagRE.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[3], m[5]
		if end < len(text) {
			next, _ := utf8.DecodeRuneInString(text[end:])
			if !isJSSpace(next) && !strings.ContainsRune(".,;:!?)\"'\u2019", next) {
				continue
			}
		}
		out = append(out, newFacet(start, end, feature{Type: "app.bsky.richtext.facet#tag", Tag: "$" + strings.ToUpper(text[m[4]:m[5]])}))
	}
	return out
}

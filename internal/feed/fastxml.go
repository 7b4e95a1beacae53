package feed

import (
	"bytes"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The direct RSS reader's XML: a scanner of the well-formed, plain XML it
// takes, which decodes text, attributes and references exactly as
// encoding/xml and gofeed do, and reports false at anything else.

// fastClean reports whether body holds only characters gofeed reads as they
// are: valid UTF-8, no control characters but tab and line feed (gofeed
// drops the others, and encoding/xml rewrites carriage returns), nothing
// XML forbids (U+FFFE, U+FFFF).
func fastClean(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for i, c := range b {
		switch {
		case c < 0x20:
			if c != '\t' && c != '\n' {
				return false
			}
		case c == 0xEF:
			if i+2 < len(b) && b[i+1] == 0xBF && b[i+2] >= 0xBE {
				return false
			}
		}
	}
	return true
}

// scanner reads one document.
type scanner struct {
	b   []byte
	pos int
	ns  map[string]string // prefix → namespace, as the root declares them
}

// attr is an attribute as encoding/xml gives it: its value decoded.
type attr struct {
	prefix, local, value string
}

// tag is a start tag.
type tag struct {
	qname  string // as written, for the end tag
	prefix string
	local  string
	attrs  []attr
	empty  bool // <x/>
}

// get is goxpp's Attribute: the un-prefixed attribute of that name, else
// the first prefixed one.
func (t *tag) get(name string) string {
	var fallback string
	found := false
	for _, a := range t.attrs {
		if a.local == name {
			if a.prefix == "" {
				return a.value
			}
			if !found {
				fallback, found = a.value, true
			}
		}
	}
	return fallback
}

// resolveAttrs is what gofeed does to the attributes of an element it
// meets among the children of another, with no xml:base in scope: URL
// attributes go once through url.Parse.
func (t *tag) resolveAttrs() {
	for i, a := range t.attrs {
		switch strings.ToLower(a.local) {
		case "href", "scheme", "src", "uri":
			if u, err := url.Parse(strings.TrimLeft(a.value, " ")); err == nil {
				t.attrs[i].value = u.String()
			}
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

func (s *scanner) skipSpace() {
	for s.pos < len(s.b) && isSpace(s.b[s.pos]) {
		s.pos++
	}
}

func (s *scanner) has(prefix string) bool {
	return bytes.HasPrefix(s.b[s.pos:], []byte(prefix))
}

// misc skips white space, comments and (when pi) processing instructions
// other than an XML declaration, and reports false at anything else
// that is not markup.
func (s *scanner) misc(pi bool) bool {
	for {
		s.skipSpace()
		switch {
		case s.has("<!--"):
			end := bytes.Index(s.b[s.pos+4:], []byte("--"))
			if end < 0 || !bytes.HasPrefix(s.b[s.pos+4+end:], []byte("-->")) {
				return false
			}
			s.pos += 4 + end + 3
		case pi && s.has("<?"):
			end := bytes.Index(s.b[s.pos+2:], []byte("?>"))
			if end < 0 {
				return false
			}
			target := s.b[s.pos+2 : s.pos+2+end]
			if k := bytes.IndexAny(target, " \t\n"); k >= 0 {
				target = target[:k]
			}
			if len(target) == 0 || strings.EqualFold(string(target), "xml") || !isName(string(target)) {
				return false
			}
			s.pos += 2 + end + 2
		default:
			return true
		}
	}
}

// xmlDeclUTF8 matches an XML declaration of version 1.0 that leaves the
// document in UTF-8 (gofeed converts any other encoding).
var xmlDeclUTF8 = regexp.MustCompile(`^<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*("1\.0"|'1\.0')` +
	`([ \t\n]+encoding[ \t\n]*=[ \t\n]*("(?i:utf-8)"|'(?i:utf-8)'))?` +
	`([ \t\n]+standalone[ \t\n]*=[ \t\n]*("yes"|"no"|'yes'|'no'))?[ \t\n]*\?>`)

// text reads a text element as gofeed's ParseText does: its inner markup,
// trimmed, with CDATA sections unwrapped and entities decoded outside
// them. Markup other than CDATA inside it, or an entity the fast path does
// not know, is false.
func (s *scanner) text(t tag) (string, bool) {
	if t.empty {
		return "", true
	}
	start := s.pos
	cdata := false
	for {
		i := bytes.IndexByte(s.b[s.pos:], '<')
		if i < 0 {
			return "", false
		}
		if bytes.Contains(s.b[s.pos:s.pos+i], []byte("]]>")) {
			return "", false
		}
		s.pos += i
		if !s.has("<![CDATA[") {
			break
		}
		end := bytes.Index(s.b[s.pos+9:], []byte("]]>"))
		if end < 0 {
			return "", false
		}
		s.pos += 9 + end + 3
		cdata = true
	}
	inner := strings.TrimSpace(string(s.b[start:s.pos]))
	if !s.endTag(t.qname) {
		return "", false
	}
	if !cdata {
		return decodeEntities(inner)
	}
	var b strings.Builder
	for {
		i := strings.Index(inner, "<![CDATA[")
		if i < 0 {
			text, ok := decodeEntities(inner)
			b.WriteString(text)
			return b.String(), ok
		}
		text, ok := decodeEntities(inner[:i])
		if !ok {
			return "", false
		}
		b.WriteString(text)
		inner = inner[i+9:]
		end := strings.Index(inner, "]]>")
		if end < 0 {
			return "", false // trimmed into
		}
		b.WriteString(inner[:end])
		inner = inner[end+3:]
	}
}

// reference returns the length of the entity or character reference s
// starts with ("&amp;", "&#233;", "&#xE9;"), and the code point of a
// character reference; 0 when s starts with none the fast path knows.
func reference(s string) (n int, r rune) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 10 {
		return 0, 0
	}
	name := s[1:end]
	switch name {
	case "amp", "lt", "gt", "quot", "apos":
		return end + 1, 0
	}
	if name[0] != '#' {
		return 0, 0
	}
	digits, base := name[1:], 10
	if len(digits) > 0 && digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if digits == "" || digits[0] == '+' || digits[0] == '-' {
		return 0, 0
	}
	v, err := strconv.ParseUint(digits, base, 32)
	if err != nil || !xmlChar(rune(v)) {
		return 0, 0
	}
	return end + 1, rune(v)
}

// xmlChar reports whether XML allows r in a document (and so a reference
// to it).
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// decodeEntities is gofeed's DecodeEntities for text whose every '&' starts
// a reference the fast path knows (for those, gofeed's result is
// html.UnescapeString's).
func decodeEntities(s string) (string, bool) {
	if strings.IndexByte(s, '&') < 0 {
		return s, true
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '&' {
			n, _ := reference(s[i:])
			if n == 0 {
				return "", false
			}
			i += n - 1
		}
	}
	return html.UnescapeString(s), true
}

// decodeXMLText is encoding/xml's decoding of character data (as an
// extension's text, or an attribute value), for text whose every '&'
// starts a reference the fast path knows.
func decodeXMLText(b []byte) (string, bool) {
	if bytes.IndexByte(b, '&') < 0 {
		if bytes.Contains(b, []byte("]]>")) {
			return "", false
		}
		return string(b), true
	}
	s := string(b)
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '&' {
			out.WriteByte(s[i])
			continue
		}
		n, r := reference(s[i:])
		if n == 0 {
			return "", false
		}
		switch s[i+1 : i+n-1] {
		case "amp":
			out.WriteByte('&')
		case "lt":
			out.WriteByte('<')
		case "gt":
			out.WriteByte('>')
		case "quot":
			out.WriteByte('"')
		case "apos":
			out.WriteByte('\'')
		default:
			out.WriteRune(r)
		}
		i += n - 1
	}
	return out.String(), !strings.Contains(s, "]]>")
}

// isName reports whether s is a name the fast path takes (ASCII letters,
// digits, '_', '-' and '.', not starting with a digit, '-' or '.').
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// qname splits a qualified name; false for one the fast path does not take.
func qname(s string) (prefix, local string, ok bool) {
	prefix, local, found := strings.Cut(s, ":")
	if !found {
		return "", s, isName(s)
	}
	return prefix, local, isName(prefix) && isName(local)
}

// commonNames are names read without a copy.
var commonNames = func() map[string]string {
	m := make(map[string]string)
	for _, n := range []string{"rss", "channel", "item", "title", "link", "description", "guid", "pubDate",
		"category", "author", "comments", "enclosure", "source", "image", "url", "language", "lastBuildDate",
		"generator", "dc:creator", "dc:date", "content:encoded", "atom:link", "media:content", "media:thumbnail",
		"media:title", "media:description", "media:credit", "sy:updatePeriod", "sy:updateFrequency",
		"slash:comments", "wfw:commentRss", "isPermaLink", "domain", "rel", "href", "type", "length", "medium",
		"width", "height", "version"} {
		m[n] = n
	}
	return m
}()

// name reads a name at the current position.
func (s *scanner) name() string {
	start := s.pos
	for s.pos < len(s.b) {
		c := s.b[s.pos]
		if isSpace(c) || c == '=' || c == '>' || c == '/' || c == '<' || c == '"' || c == '\'' {
			break
		}
		s.pos++
	}
	if n, ok := commonNames[string(s.b[start:s.pos])]; ok {
		return n
	}
	return string(s.b[start:s.pos])
}

// startTag reads a start tag at the current position.
func (s *scanner) startTag(root bool) (tag, bool) {
	var t tag
	if !s.has("<") {
		return t, false
	}
	s.pos++
	t.qname = s.name()
	var ok bool
	if t.prefix, t.local, ok = qname(t.qname); !ok {
		return t, false
	}
	for {
		sp := s.pos
		s.skipSpace()
		if s.pos >= len(s.b) {
			return t, false
		}
		switch s.b[s.pos] {
		case '>':
			s.pos++
			return t, true
		case '/':
			if !s.has("/>") {
				return t, false
			}
			s.pos += 2
			t.empty = true
			return t, true
		}
		if s.pos == sp {
			return t, false // no space before an attribute
		}
		var a attr
		if a.prefix, a.local, ok = qname(s.name()); !ok {
			return t, false
		}
		s.skipSpace()
		if !s.has("=") {
			return t, false
		}
		s.pos++
		s.skipSpace()
		if s.pos >= len(s.b) || s.b[s.pos] != '"' && s.b[s.pos] != '\'' {
			return t, false
		}
		q := s.b[s.pos]
		end := bytes.IndexByte(s.b[s.pos+1:], q)
		if end < 0 {
			return t, false
		}
		raw := s.b[s.pos+1 : s.pos+1+end]
		if bytes.ContainsAny(raw, "<\t\n") {
			return t, false // not well formed; white space encoding/xml may rewrite
		}
		if a.value, ok = decodeXMLText(raw); !ok {
			return t, false
		}
		switch {
		case root && a.prefix == "xml", !root && a.prefix == "xmlns", a.prefix == "" && a.local == "xmlns":
			return t, false // namespaces are declared on the root only, and no default one
		case a.prefix == "xml" && a.local == "base":
			return t, false
		}
		s.pos += 1 + end + 1
		t.attrs = append(t.attrs, a)
	}
}

// endTag reads the end tag of qname.
func (s *scanner) endTag(qname string) bool {
	if !s.has("</") || !bytes.HasPrefix(s.b[s.pos+2:], []byte(qname)) {
		return false
	}
	s.pos += 2 + len(qname)
	s.skipSpace()
	if !s.has(">") {
		return false
	}
	s.pos++
	return true
}

package feed

import (
	"bytes"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	gorss "github.com/mmcdole/gofeed/rss"
)

// A fast path for the common feed. gofeed reads a feed through
// encoding/xml, token by token, and decodes every text element twice over
// with reflection; for a plain RSS 2.0 feed that is most of the cost of a
// first poll. parseRSS reads such a feed directly into gofeed's own
// rss.Feed, which gofeed's translator then turns into the gofeed.Feed the
// rest of the package uses, so that the result is the one gofeed gives.
//
// It takes only what it can read exactly as gofeed does, and declines
// (ok false, and gofeed parses the body) anything else: another format or
// encoding, a DOCTYPE, control characters or carriage returns, markup
// other than CDATA inside a text element, entities other than XML's five
// and character references, elements gofeed files elsewhere (unknown
// elements, cloud, textInput, skipHours, ...), namespaces not in
// extensionPrefixes or declared below the root, xml:base, dates in other
// forms than RFC 1123 with a numeric zone or GMT. TestFastRSSMatchesGofeed
// and FuzzFastRSS compare the two on feeds of every shape.

// extensionPrefixes are the extension namespaces the fast path knows, with
// the prefix gofeed files their elements under whatever the feed calls
// them (its canonical prefix).
var extensionPrefixes = map[string]string{
	"http://purl.org/dc/elements/1.1/":             "dc",
	"http://purl.org/dc/terms/":                    "dcterms",
	"http://purl.org/rss/1.0/modules/content/":     "content",
	"http://www.w3.org/2005/Atom":                  "atom",
	"http://search.yahoo.com/mrss/":                "media",
	"http://search.yahoo.com/mrss":                 "media",
	"http://purl.org/rss/1.0/modules/syndication/": "sy",
	"http://purl.org/rss/1.0/modules/slash/":       "slash",
	"http://purl.org/rss/1.0/modules/threading/":   "thr",
	"http://wellformedweb.org/commentAPI/":         "wfw",
	"http://www.itunes.com/DTDs/PodCast-1.0.dtd":   "itunes",
	"http://www.georss.org/georss":                 "georss",
	"http://rssnamespace.org/feedburner/ext/1.0":   "feedburner",
}

// rssTranslator is the parser's: the fast path translates the same way.
var rssTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}

// detectWindow is how far into a body gofeed looks for the root element.
const detectWindow = 4096

// parseRSS parses body (UTF-8, without a byte order mark) as gofeed would,
// or reports that it cannot.
func parseRSS(body []byte) (f *gofeed.Feed, ok bool) {
	if !fastClean(body) {
		return nil, false
	}
	s := scanner{b: body}
	rf, ok := s.document()
	if !ok {
		return nil, false
	}
	f, err := rssTranslator.Translate(rf)
	if err != nil {
		return nil, false
	}
	return f, true
}

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

// document reads the whole body: an optional UTF-8 XML declaration, then
// <rss> holding one <channel>.
func (s *scanner) document() (*gorss.Feed, bool) {
	s.skipSpace()
	if s.has("<?xml") && s.pos+5 < len(s.b) && isSpace(s.b[s.pos+5]) {
		decl := xmlDeclUTF8.Find(s.b[s.pos:])
		if decl == nil {
			return nil, false
		}
		s.pos += len(decl)
	}
	if !s.misc(true) || !s.has("<rss") {
		return nil, false
	}
	root, ok := s.startTag(true)
	if !ok || root.qname != "rss" || root.empty || s.pos > detectWindow {
		return nil, false
	}
	s.ns = make(map[string]string)
	for _, a := range root.attrs {
		if a.prefix == "xmlns" {
			s.ns[a.local] = a.value
		}
	}
	if !s.misc(false) || !s.has("<channel") {
		return nil, false
	}
	ch, ok := s.startTag(false)
	if !ok || ch.qname != "channel" {
		return nil, false
	}
	feed, ok := s.channel(ch)
	if !ok || !s.misc(false) || !s.endTag("rss") || !s.misc(true) || s.pos != len(s.b) {
		return nil, false
	}
	feed.Version = root.get("version")
	return feed, true
}

// xmlDeclUTF8 matches an XML declaration of version 1.0 that leaves the
// document in UTF-8 (gofeed converts any other encoding).
var xmlDeclUTF8 = regexp.MustCompile(`^<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*("1\.0"|'1\.0')` +
	`([ \t\n]+encoding[ \t\n]*=[ \t\n]*("(?i:utf-8)"|'(?i:utf-8)'))?` +
	`([ \t\n]+standalone[ \t\n]*=[ \t\n]*("yes"|"no"|'yes'|'no'))?[ \t\n]*\?>`)

// children calls fn for each child element of the element just opened (by
// open), with its attributes resolved as gofeed's loop over children does;
// fn must read the child through its end tag. Text between children must
// be white space.
func (s *scanner) children(open tag, fn func(t tag) bool) bool {
	if open.empty {
		return true
	}
	for {
		if !s.misc(false) || s.pos+1 >= len(s.b) || s.b[s.pos] != '<' {
			return false
		}
		if s.b[s.pos+1] == '/' {
			return s.endTag(open.qname)
		}
		t, ok := s.startTag(false)
		if !ok {
			return false
		}
		t.resolveAttrs()
		if !fn(t) {
			return false
		}
	}
}

// extensionPrefix returns the key gofeed files an extension element under,
// or false when the element is not one the fast path knows.
func (s *scanner) extensionPrefix(t tag) (string, bool) {
	space, ok := s.ns[t.prefix]
	if !ok {
		return "", false
	}
	p := extensionPrefixes[space]
	return p, p != ""
}

func (s *scanner) channel(open tag) (*gorss.Feed, bool) {
	f := &gorss.Feed{Items: []*gorss.Item{}}
	exts := ext.Extensions{}
	var cats []*gorss.Category
	var links []string
	ok := s.children(open, func(t tag) bool {
		if t.prefix != "" {
			return s.extension(exts, t)
		}
		var ok bool
		switch strings.ToLower(t.local) {
		case "title":
			f.Title, ok = s.text(t)
		case "description":
			f.Description, ok = s.text(t)
		case "link":
			if f.Link, ok = s.link(t); ok {
				links = append(links, f.Link)
			}
		case "language":
			f.Language, ok = s.text(t)
		case "copyright":
			f.Copyright, ok = s.text(t)
		case "managingeditor":
			f.ManagingEditor, ok = s.text(t)
		case "webmaster":
			f.WebMaster, ok = s.text(t)
		case "pubdate":
			f.PubDate, f.PubDateParsed, ok = s.date(t)
		case "lastbuilddate":
			f.LastBuildDate, f.LastBuildDateParsed, ok = s.date(t)
		case "generator":
			f.Generator, ok = s.text(t)
		case "docs":
			f.Docs, ok = s.text(t)
		case "ttl":
			f.TTL, ok = s.text(t)
		case "rating":
			f.Rating, ok = s.text(t)
		case "category":
			var c *gorss.Category
			if c, ok = s.category(t); ok {
				cats = append(cats, c)
			}
		case "image":
			f.Image, ok = s.image(t)
		case "item":
			var it *gorss.Item
			if it, ok = s.item(t); ok {
				f.Items = append(f.Items, it)
			}
		}
		return ok
	})
	if !ok {
		return nil, false
	}
	if len(cats) > 0 {
		f.Categories = cats
	}
	if len(links) > 0 {
		f.Links = links
	}
	if len(exts) > 0 {
		f.Extensions = exts
		if m, ok := exts["itunes"]; ok {
			f.ITunesExt = ext.NewITunesFeedExtension(m)
		}
		if m, ok := exts["dc"]; ok {
			f.DublinCoreExt = ext.NewDublinCoreExtension(m)
		}
	}
	return f, true
}

func (s *scanner) item(open tag) (*gorss.Item, bool) {
	it := &gorss.Item{}
	exts := ext.Extensions{}
	var cats []*gorss.Category
	var encs []*gorss.Enclosure
	var links []string
	ok := s.children(open, func(t tag) bool {
		if t.prefix != "" {
			if p, ok := s.extensionPrefix(t); ok && p == "content" && strings.ToLower(t.local) == "encoded" {
				var ok bool
				it.Content, ok = s.text(t)
				return ok
			}
			return s.extension(exts, t)
		}
		var ok bool
		switch strings.ToLower(t.local) {
		case "title":
			it.Title, ok = s.text(t)
		case "description":
			it.Description, ok = s.text(t)
		case "link":
			if it.Link, ok = s.link(t); ok {
				links = append(links, it.Link)
			}
		case "author":
			it.Author, ok = s.text(t)
		case "comments":
			it.Comments, ok = s.text(t)
		case "pubdate":
			it.PubDate, it.PubDateParsed, ok = s.date(t)
		case "source":
			it.Source = &gorss.Source{URL: t.get("url")}
			it.Source.Title, ok = s.text(t)
		case "enclosure":
			e := &gorss.Enclosure{URL: t.get("url"), Length: t.get("length"), Type: t.get("type")}
			if ok = s.emptyElement(t); ok {
				it.Enclosure = e
				encs = append(encs, e)
			}
		case "guid":
			g := &gorss.GUID{IsPermalink: t.get("isPermaLink")}
			if g.IsPermalink == "" {
				g.IsPermalink = t.get("isPermalink")
			}
			if g.IsPermalink == "" {
				g.IsPermalink = "true"
			}
			if g.Value, ok = s.text(t); ok {
				it.GUID = g
			}
		case "category":
			var c *gorss.Category
			if c, ok = s.category(t); ok {
				cats = append(cats, c)
			}
		}
		return ok
	})
	if !ok {
		return nil, false
	}
	if len(encs) > 0 {
		it.Enclosures = encs
	}
	if len(cats) > 0 {
		it.Categories = cats
	}
	if len(links) > 0 {
		it.Links = links
	}
	if len(exts) > 0 {
		it.Extensions = exts
		if m, ok := exts["itunes"]; ok {
			it.ITunesExt = ext.NewITunesItemExtension(m)
		}
		if m, ok := exts["dc"]; ok {
			it.DublinCoreExt = ext.NewDublinCoreExtension(m)
		}
	}
	return it, true
}

func (s *scanner) image(open tag) (*gorss.Image, bool) {
	img := &gorss.Image{}
	ok := s.children(open, func(t tag) bool {
		if t.prefix != "" {
			return false
		}
		var ok bool
		switch strings.ToLower(t.local) {
		case "url":
			img.URL, ok = s.text(t)
		case "title":
			img.Title, ok = s.text(t)
		case "link":
			img.Link, ok = s.text(t)
		case "width":
			img.Width, ok = s.text(t)
		case "height":
			img.Height, ok = s.text(t)
		case "description":
			img.Description, ok = s.text(t)
		}
		return ok
	})
	return img, ok
}

func (s *scanner) category(t tag) (*gorss.Category, bool) {
	c := &gorss.Category{Domain: t.get("domain")}
	var ok bool
	c.Value, ok = s.text(t)
	return c, ok
}

// link is gofeed's parseLink: the text, else the href attribute.
func (s *scanner) link(t tag) (string, bool) {
	u, ok := s.text(t)
	if u == "" {
		u = t.get("href")
	}
	return u, ok
}

// date is a publication date element: its text, and the time gofeed
// parses from it (in UTC), or false when the fast path cannot tell.
func (s *scanner) date(t tag) (string, *time.Time, bool) {
	text, ok := s.text(t)
	if !ok {
		return "", nil, false
	}
	d, ok := parseDate(text)
	if !ok {
		return "", nil, false
	}
	if d.IsZero() {
		return text, nil, true
	}
	utc := d.UTC()
	return text, &utc, true
}

// parseDate parses the forms of date the fast path takes: RFC 1123 with a
// numeric zone or GMT, which gofeed's parser reads with those layouts
// (no layout it tries first accepts them). An empty date is no date (the
// zero time).
func parseDate(text string) (time.Time, bool) {
	d := strings.TrimSpace(text)
	if d == "" {
		return time.Time{}, true
	}
	layout := time.RFC1123Z
	if strings.HasSuffix(d, " GMT") {
		layout = time.RFC1123
	}
	t, err := time.Parse(layout, d)
	if err != nil || t.IsZero() {
		return time.Time{}, false
	}
	if name, offset := t.Zone(); name == "GMT" && offset != 0 {
		// time.Parse takes the local zone's meaning of an abbreviation;
		// gofeed's is fixed.
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(name, 0))
	}
	return t, true
}

// emptyElement reads an element gofeed skips the content of, when it has
// none.
func (s *scanner) emptyElement(t tag) bool {
	if t.empty {
		return true
	}
	s.skipSpace()
	return s.endTag(t.qname)
}

// extension reads an extension element (and its children) into exts, as
// gofeed's ParseExtension does.
func (s *scanner) extension(exts ext.Extensions, t tag) bool {
	prefix, ok := s.extensionPrefix(t)
	if !ok {
		return false
	}
	e, ok := s.extensionElement(t, 0)
	if !ok {
		return false
	}
	m := exts[prefix]
	if m == nil {
		m = map[string][]ext.Extension{}
		exts[prefix] = m
	}
	m[t.local] = append(m[t.local], e)
	return true
}

// maxDepth bounds the nesting of an extension's elements.
const maxDepth = 8

func (s *scanner) extensionElement(t tag, depth int) (ext.Extension, bool) {
	if depth > maxDepth {
		return ext.Extension{}, false
	}
	e := ext.Extension{Name: t.local, Attrs: map[string]string{}, Children: map[string][]ext.Extension{}}
	for _, a := range t.attrs {
		e.Attrs[a.local] = a.value
	}
	if t.empty {
		return e, true
	}
	var value strings.Builder
	for {
		i := bytes.IndexByte(s.b[s.pos:], '<')
		if i < 0 {
			return e, false
		}
		text, ok := decodeXMLText(s.b[s.pos : s.pos+i])
		if !ok {
			return e, false
		}
		value.WriteString(text)
		s.pos += i
		switch {
		case s.has("<![CDATA["):
			end := bytes.Index(s.b[s.pos+9:], []byte("]]>"))
			if end < 0 {
				return e, false
			}
			value.Write(s.b[s.pos+9 : s.pos+9+end])
			s.pos += 9 + end + 3
		case s.has("<!--"):
			end := bytes.Index(s.b[s.pos+4:], []byte("--"))
			if end < 0 || !bytes.HasPrefix(s.b[s.pos+4+end:], []byte("-->")) {
				return e, false
			}
			s.pos += 4 + end + 3
		case s.has("</"):
			if !s.endTag(t.qname) {
				return e, false
			}
			e.Value = strings.TrimSpace(value.String())
			return e, true
		default:
			c, ok := s.startTag(false)
			if !ok {
				return e, false
			}
			child, ok := s.extensionElement(c, depth+1)
			if !ok {
				return e, false
			}
			e.Children[c.local] = append(e.Children[c.local], child)
		}
	}
}

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

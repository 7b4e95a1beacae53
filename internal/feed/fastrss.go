package feed

import (
	"bytes"
	"strings"
	"time"

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

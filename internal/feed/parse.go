package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	ext "github.com/mmcdole/gofeed/extensions"
	"golang.org/x/net/html/charset"
)

// Parse errors.
var (
	ErrEmpty   = errors.New("empty body")
	ErrNotFeed = errors.New("not an RSS, Atom or JSON feed")
)

// FeedInfo describes a parsed feed.
type FeedInfo struct {
	Title  string
	Link   string // the site the feed belongs to
	Format string // "rss 2.0", "rss 1.0", "atom 1.0", "atom 0.3", "json 1.1", ...
	// HubURL is the WebSub hub the feed advertises (rel="hub"), SelfURL its
	// own canonical address (rel="self"), used as the WebSub topic.
	HubURL  string
	SelfURL string
	Items   int // items in the feed
	Skipped int // items without a usable link
	// Parsed counts the items gofeed parsed: fewer than Items when a poll
	// skipped the items recorded from the source's last body.
	Parsed int
}

// parser is shared: gofeed's parsers and translators are stateless.
var parser = func() *gofeed.Parser {
	p := gofeed.NewParser()
	p.AtomTranslator = &atomTranslator{}
	// gofeed builds a DOM of every item's HTML to look for an image; the
	// mapper does a cheaper scan, only when the item names no image.
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return p
}()

// atomTranslator keeps the rel="hub" and rel="self" links that gofeed's
// universal feed drops.
type atomTranslator struct{ gofeed.DefaultAtomTranslator }

const customHub, customSelf = "herald:hub", "herald:self"

func (t *atomTranslator) Translate(feed any) (*gofeed.Feed, error) {
	out, err := t.DefaultAtomTranslator.Translate(feed)
	af, ok := feed.(*atom.Feed)
	if err != nil || !ok || out == nil {
		return out, err
	}
	for _, l := range af.Links {
		switch strings.ToLower(l.Rel) {
		case "hub":
			setCustom(out, customHub, l.Href)
		case "self":
			setCustom(out, customSelf, l.Href)
		}
	}
	return out, nil
}

func setCustom(f *gofeed.Feed, k, v string) {
	if v == "" {
		return
	}
	if f.Custom == nil {
		f.Custom = map[string]string{}
	}
	if _, ok := f.Custom[k]; !ok {
		f.Custom[k] = v
	}
}

// parse decodes a feed body (any supported format and charset).
func parse(body []byte, contentType string) (*gofeed.Feed, FeedInfo, error) {
	body, err := prepare(body, contentType)
	if err != nil {
		return nil, FeedInfo{}, err
	}
	return parsePrepared(body)
}

// prepare drops a byte-order mark and settles the character set (toUTF8).
func prepare(body []byte, contentType string) ([]byte, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, ErrEmpty
	}
	return toUTF8(body, contentType), nil
}

// parsePrepared decodes a body that prepare returned.
func parsePrepared(body []byte) (*gofeed.Feed, FeedInfo, error) {
	f, err := gofeedParse(body)
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		if strings.HasPrefix(http.DetectContentType(body), "text/html") {
			return nil, FeedInfo{}, fmt.Errorf("%w: got an HTML page", ErrNotFeed)
		}
		return nil, FeedInfo{}, ErrNotFeed
	}
	if err != nil {
		return nil, FeedInfo{}, fmt.Errorf("parse: %w", err)
	}
	info := FeedInfo{
		Title:  f.Title,
		Link:   f.Link,
		Format: f.FeedType,
		Items:  len(f.Items),
		Parsed: len(f.Items),
	}
	if f.FeedVersion != "" {
		info.Format += " " + path.Base(f.FeedVersion) // JSON Feed: ".../version/1.1"
	}
	switch f.FeedType {
	case "rss":
		info.HubURL = atomLinkExt(f.Extensions, "hub")
		info.SelfURL = atomLinkExt(f.Extensions, "self")
	case "atom":
		info.HubURL, info.SelfURL = f.Custom[customHub], f.Custom[customSelf]
	case "json":
		info.HubURL, info.SelfURL = jsonHub(body), f.FeedLink
	}
	if info.SelfURL == "" {
		info.SelfURL = f.FeedLink
	}
	return f, info, nil
}

// gofeedParse runs gofeed on a body. A body from the network must not stop
// the daemon: gofeed panics on some (a JSON Feed with a null item), and
// that is a parse error like any other.
func gofeedParse(body []byte) (f *gofeed.Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("gofeed failed: %v", r)
		}
	}()
	return parser.Parse(bytes.NewReader(body))
}

// atomLinkExt finds <atom:link rel="..."> in an RSS channel.
func atomLinkExt(exts ext.Extensions, rel string) string {
	for _, l := range exts["atom"]["link"] {
		if strings.EqualFold(l.Attrs["rel"], rel) && l.Attrs["href"] != "" {
			return l.Attrs["href"]
		}
	}
	return ""
}

// jsonHub returns the first WebSub hub of a JSON Feed (gofeed does not read
// "hubs").
func jsonHub(body []byte) string {
	var f struct {
		Hubs []struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		} `json:"hubs"`
	}
	if json.Unmarshal(body, &f) != nil {
		return ""
	}
	for _, h := range f.Hubs {
		if h.URL != "" && (h.Type == "" || strings.EqualFold(h.Type, "websub")) {
			return h.URL
		}
	}
	return ""
}

var xmlDeclRe = regexp.MustCompile(`^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// toUTF8 settles a feed's character set where the declaration and the bytes
// disagree, before the parser sees them:
//   - a declared single-byte charset (ISO-8859-1, windows-1252, ...) over
//     bytes that are valid, non-ASCII UTF-8 is a wrong declaration: the
//     declaration is rewritten to UTF-8;
//   - no declared charset (or UTF-8) over bytes that are not UTF-8: the
//     bytes are decoded with the charset of the Content-Type header, else
//     as windows-1252 (what such feeds nearly always are);
//   - a correct declaration is left to the parser, which converts it.
//
// UTF-16 and JSON bodies are left alone.
func toUTF8(body []byte, contentType string) []byte {
	if len(body) >= 2 && (body[0] == 0 || body[1] == 0 || body[0] == 0xFE || body[0] == 0xFF) {
		return body // UTF-16 or UTF-32
	}
	declared := ""
	loc := xmlDeclRe.FindSubmatchIndex(body[:min(len(body), 200)])
	if loc != nil {
		declared = strings.ToLower(string(body[loc[2]:loc[3]]))
	}
	utf8Label := declared == "" || declared == "utf-8" || declared == "utf8"
	if strings.HasPrefix(declared, "utf-16") || strings.HasPrefix(declared, "utf-32") {
		return body
	}
	valid := utf8.Valid(body)
	switch {
	case !utf8Label && valid && !isASCII(body):
		return setDeclared(body, loc, "UTF-8")
	case utf8Label && !valid:
		label := "windows-1252"
		if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
			label = params["charset"]
		}
		enc, _ := charset.Lookup(label)
		if enc == nil {
			enc, _ = charset.Lookup("windows-1252")
		}
		out, err := enc.NewDecoder().Bytes(body)
		if err != nil || !utf8.Valid(out) {
			return body
		}
		if loc != nil {
			return setDeclared(out, xmlDeclRe.FindSubmatchIndex(out[:min(len(out), 200)]), "UTF-8")
		}
		return out
	}
	return body
}

func setDeclared(body []byte, loc []int, label string) []byte {
	if loc == nil {
		return body
	}
	out := make([]byte, 0, len(body))
	out = append(out, body[:loc[2]]...)
	out = append(out, label...)
	return append(out, body[loc[3]:]...)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

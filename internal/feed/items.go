package feed

import (
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"

	"github.com/heraldhq/herald/internal/herald"
)

// maxTitle is how much of a summary stands in for a missing title.
const maxTitle = 200

// maxCategories bounds what one item may carry.
const maxCategories = 20

var errNoLink = errors.New("no http(s) link or URL GUID")

// mapper turns a parsed feed's items into store inputs; what happens to
// them is herald.IntakeRules' to decide.
type mapper struct {
	base *url.URL // resolves relative links; nil: none
	now  time.Time
}

// skippedItem is an item left out, for the debug log.
type skippedItem struct {
	Title  string
	Reason string
}

// newMapper picks the base for relative links: the feed's own site link when
// it is absolute, else the URL the feed was fetched from.
func newMapper(f *gofeed.Feed, fetchedFrom string, now time.Time) *mapper {
	m := &mapper{now: now}
	for _, s := range []string{f.Link, fetchedFrom} {
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			m.base = u
			break
		}
	}
	return m
}

// items maps every item with a usable link, in feed order, each canonical URL
// once (the first item wins).
func (m *mapper) items(f *gofeed.Feed) ([]herald.ArticleInput, []skippedItem) {
	out := make([]herald.ArticleInput, 0, len(f.Items))
	var skipped []skippedItem
	seen := make(map[string]bool, len(f.Items))
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		in, err := m.item(it)
		if err != nil {
			skipped = append(skipped, skippedItem{Title: herald.PlainText(it.Title), Reason: err.Error()})
			continue
		}
		if seen[in.URL] {
			continue
		}
		seen[in.URL] = true
		out = append(out, in)
	}
	return out, skipped
}

func (m *mapper) item(it *gofeed.Item) (herald.ArticleInput, error) {
	in := herald.ArticleInput{
		GUID:  strings.TrimSpace(it.GUID),
		Title: herald.PlainText(it.Title),
	}
	in.URL = m.link(it)
	if in.URL == "" {
		return in, errNoLink
	}
	desc := it.Description
	if strings.TrimSpace(desc) == "" {
		desc = it.Content
	}
	in.Summary = truncate(herald.PlainText(desc), MaxSummary)
	if in.Title == "" {
		in.Title = truncate(in.Summary, maxTitle)
	}
	in.Author = author(it)
	if it.Image != nil {
		in.ImageURL = m.absolute(it.Image.URL)
	}
	if in.ImageURL == "" {
		in.ImageURL = m.absolute(htmlImage(it.Content))
	}
	if in.ImageURL == "" {
		in.ImageURL = m.absolute(htmlImage(it.Description))
	}
	in.Categories = categories(it.Categories)
	switch {
	case it.PublishedParsed != nil:
		in.PublishedAt = *it.PublishedParsed
	case it.UpdatedParsed != nil:
		in.PublishedAt = *it.UpdatedParsed
	}
	if in.PublishedAt.After(m.now) {
		// A date in the future is a time-zone mistake; it must not keep the
		// item from ever being stale or put it first in the queue.
		in.PublishedAt = m.now
	}
	if !in.PublishedAt.IsZero() {
		in.PublishedAt = in.PublishedAt.UTC()
	}
	return in, nil
}

// link returns the canonical URL of an item: its link, else its first link,
// else its GUID when that is a URL.
func (m *mapper) link(it *gofeed.Item) string {
	cands := make([]string, 0, 3)
	cands = append(cands, it.Link)
	if len(it.Links) > 0 {
		cands = append(cands, it.Links[0])
	}
	if g := strings.TrimSpace(it.GUID); strings.HasPrefix(g, "http://") || strings.HasPrefix(g, "https://") {
		cands = append(cands, g)
	}
	for _, c := range cands {
		if u := m.absolute(c); u != "" {
			if canon, err := herald.CanonicalURL(u); err == nil {
				return canon
			}
		}
	}
	return ""
}

// absolute resolves s against the base and returns it if it is an absolute
// http(s) URL, else "".
func (m *mapper) absolute(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	if !u.IsAbs() && m.base != nil {
		u = m.base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// htmlImage returns the src of the first <img> in an HTML fragment.
func htmlImage(s string) string {
	i := indexFold(s, "<img")
	if i < 0 {
		return ""
	}
	z := html.NewTokenizer(strings.NewReader(s[i:]))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "img" {
				continue
			}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "src" && len(v) > 0 {
					return string(v)
				}
			}
		}
	}
}

// indexFold is strings.Index for an ASCII needle, ignoring case.
func indexFold(s, needle string) int {
	for i := 0; i+len(needle) <= len(s); i++ {
		if s[i] == '<' && strings.EqualFold(s[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

func author(it *gofeed.Item) string {
	for _, p := range append([]*gofeed.Person{it.Author}, it.Authors...) {
		if p == nil {
			continue
		}
		if n := herald.PlainText(p.Name); n != "" {
			return n
		}
		if e := strings.TrimSpace(p.Email); e != "" {
			return e
		}
	}
	return ""
}

// categories cleans an item's categories: plain text, no empties, no
// duplicates (ignoring case), at most maxCategories.
func categories(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, c := range in {
		c = herald.PlainText(c)
		k := strings.ToLower(c)
		if c == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, truncate(c, 100))
		if len(out) == maxCategories {
			break
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// truncate cuts s to at most n characters, at a word boundary when one is
// near, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut, count := 0, 0
	for i := range s {
		if count == n-1 {
			cut = i
			break
		}
		count++
	}
	head := s[:cut]
	if sp := strings.LastIndexByte(head, ' '); sp > len(head)*4/5 {
		head = head[:sp]
	}
	return strings.TrimRight(head, " ,;:.-") + "…"
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// Limits of fetching an article's page: only its <head> is read, so a small
// cap is plenty.
const (
	pageMaxBody      = 2 << 20 // 2 MiB
	pageTimeout      = 15 * time.Second
	pageMaxRedirects = 5
)

// lookupArticle returns the article at rawURL: the one Herald knows by its
// canonical URL (known=true), or else what the page itself says (see
// fetchArticlePage), not stored. `herald preview --url` and `herald repost`
// use it.
func lookupArticle(ctx context.Context, st herald.Store, cfg *config.Config, rawURL string) (a herald.Article, known bool, err error) {
	canon, err := herald.CanonicalURL(rawURL)
	if err != nil {
		return herald.Article{}, false, usageErrorf("%s: must be an absolute http or https URL", rawURL)
	}
	a, err = st.FindArticle(ctx, canon)
	switch {
	case err == nil:
		return a, true, nil
	case !errors.Is(err, herald.ErrNotFound):
		return herald.Article{}, false, fmt.Errorf("find article: %w", err)
	}
	timeout := pageTimeout
	if cfg.Feed.Timeout > 0 {
		timeout = min(timeout, cfg.Feed.Timeout)
	}
	a, err = fetchArticlePage(ctx, newPageClient(timeout), rawURL, cfg.Feed.UserAgent)
	return a, false, err
}

// newPageClient returns a client for fetchArticlePage: the whole request,
// body included, within timeout; at most pageMaxRedirects redirects.
func newPageClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= pageMaxRedirects {
				return fmt.Errorf("stopped after %d redirects", pageMaxRedirects)
			}
			return nil
		},
	}
}

// fetchArticlePage fetches an article's web page and returns what its <head>
// says: the title (og:title, else <title>, as plain text), the canonical URL
// (<link rel="canonical">, else og:url, else the address after redirects;
// then herald.CanonicalURL), the description, image, section, tags
// (article:tag as categories), author and publication time. At most
// pageMaxBody bytes are read. The article has no ID: it is not stored.
func fetchArticlePage(ctx context.Context, client *http.Client, pageURL, userAgent string) (herald.Article, error) {
	u, err := url.Parse(pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return herald.Article{}, usageErrorf("%s: must be an absolute http or https URL", pageURL)
	}
	where := "fetch page " + u.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return herald.Article{}, fmt.Errorf("%s: %w", where, err)
	}
	if userAgent == "" {
		userAgent = "Herald/1.0"
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
	resp, err := client.Do(req)
	if err != nil {
		return herald.Article{}, fmt.Errorf("%s: %w", where, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return herald.Article{}, fmt.Errorf("%s: HTTP %s", where, resp.Status)
	}
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); ct != "" && (err != nil || (mt != "text/html" && mt != "application/xhtml+xml")) {
		return herald.Article{}, fmt.Errorf("%s: not a web page (Content-Type %s)", where, ct)
	}
	body, err := charset.NewReader(io.LimitReader(resp.Body, pageMaxBody), ct)
	if err != nil {
		return herald.Article{}, fmt.Errorf("%s: %w", where, err)
	}
	head, err := readHead(body)
	if err != nil {
		return herald.Article{}, fmt.Errorf("%s: %w", where, err)
	}
	return head.article(resp.Request.URL)
}

// pageHead is what readHead found in a page's <head>.
type pageHead struct {
	title, canonical string
	meta             map[string]string // og:title, description, ... (the first of each)
	tags             []string          // article:tag
}

// readHead tokenizes a page up to its <body> and collects the title, the
// canonical link and the meta tags Herald uses.
func readHead(r io.Reader) (pageHead, error) {
	h := pageHead{meta: map[string]string{}}
	z := html.NewTokenizer(r)
	inTitle := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return h, err
			}
			return h, nil
		case html.TextToken:
			if inTitle && h.title == "" {
				h.title = string(z.Text())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Title:
				inTitle = false
			case atom.Head:
				return h, nil
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch atom.Lookup(name) {
			case atom.Body:
				return h, nil
			case atom.Title:
				inTitle = true
			case atom.Link, atom.Meta:
				if hasAttr {
					h.attrs(atom.Lookup(name), z)
				}
			}
		}
	}
}

// attrs records a <link rel=canonical> or a <meta property|name content>.
func (h *pageHead) attrs(tag atom.Atom, z *html.Tokenizer) {
	attr := map[string]string{}
	for {
		k, v, more := z.TagAttr()
		attr[strings.ToLower(string(k))] = string(v)
		if !more {
			break
		}
	}
	if tag == atom.Link {
		for _, rel := range strings.Fields(strings.ToLower(attr["rel"])) {
			if rel == "canonical" && h.canonical == "" {
				h.canonical = strings.TrimSpace(attr["href"])
			}
		}
		return
	}
	key := strings.ToLower(strings.TrimSpace(attr["property"]))
	if key == "" {
		key = strings.ToLower(strings.TrimSpace(attr["name"]))
	}
	content := strings.TrimSpace(attr["content"])
	switch {
	case key == "" || content == "":
	case key == "article:tag":
		h.tags = append(h.tags, herald.PlainText(content))
	case h.meta[key] == "":
		h.meta[key] = content
	}
}

// article turns the head into an article; base is the page's address after
// redirects, against which relative links are resolved.
func (h pageHead) article(base *url.URL) (herald.Article, error) {
	resolve := func(ref string) string {
		if ref == "" {
			return ""
		}
		u, err := base.Parse(ref)
		if err != nil {
			return ""
		}
		return u.String()
	}
	title := herald.PlainText(h.meta["og:title"])
	if title == "" {
		title = herald.PlainText(h.meta["twitter:title"])
	}
	if title == "" {
		title = herald.PlainText(h.title)
	}
	if title == "" {
		return herald.Article{}, fmt.Errorf("page %s has no <title> or og:title", base.Redacted())
	}
	link := resolve(h.canonical)
	if link == "" {
		link = resolve(h.meta["og:url"])
	}
	canon, err := herald.CanonicalURL(link)
	if err != nil {
		if canon, err = herald.CanonicalURL(base.String()); err != nil {
			return herald.Article{}, err
		}
	}
	a := herald.Article{
		URL: canon, Title: title, Section: herald.PlainText(h.meta["article:section"]), Categories: h.tags,
		Summary:  herald.PlainText(firstOf(h.meta, "og:description", "description", "twitter:description")),
		ImageURL: resolve(firstOf(h.meta, "og:image", "og:image:url", "twitter:image")),
		Author:   herald.PlainText(firstOf(h.meta, "author", "article:author")),
	}
	if t, err := time.Parse(time.RFC3339, h.meta["article:published_time"]); err == nil {
		a.PublishedAt = t
	}
	return a, nil
}

// firstOf returns the first non-empty value of keys in m.
func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}

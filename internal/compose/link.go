package compose

import (
	"net/url"
	"strings"
)

// UTM holds the campaign parameters added to an account's links; empty
// fields are not added.
type UTM struct {
	Source, Medium, Campaign string
}

// TagURL adds utm_source, utm_medium and utm_campaign to an http(s) link,
// after its other parameters, which keep their order and encoding; the
// fragment stays last. A parameter the link already has is left as it is.
// Anything that is not an http(s) URL is returned unchanged.
func TagURL(link string, utm UTM) string {
	if utm == (UTM{}) || schemeLen(link) == 0 {
		return link
	}
	base, fragment, hasFragment := strings.Cut(link, "#")
	path, query, _ := strings.Cut(base, "?")

	var b strings.Builder
	b.Grow(len(link) + len(utm.Source) + len(utm.Medium) + len(utm.Campaign) + 48)
	b.WriteString(path)
	sep := byte('?')
	if query != "" {
		b.WriteByte('?')
		b.WriteString(query)
		sep = '&'
	}
	for _, p := range [...]struct{ key, value string }{
		{"utm_source", utm.Source}, {"utm_medium", utm.Medium}, {"utm_campaign", utm.Campaign},
	} {
		if p.value == "" || hasParam(query, p.key) {
			continue
		}
		b.WriteByte(sep)
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.value))
		sep = '&'
	}
	if hasFragment {
		b.WriteByte('#')
		b.WriteString(fragment)
	}
	return b.String()
}

// hasParam reports whether a raw query has key (compared unescaped).
func hasParam(query, key string) bool {
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		k, _, _ := strings.Cut(kv, "=")
		if k == key {
			return true
		}
		if strings.ContainsAny(k, "%+") {
			if u, err := url.QueryUnescape(k); err == nil && u == key {
				return true
			}
		}
	}
	return false
}

// holdsLink reports whether text already carries the post's link: link
// itself, or a URL naming the same article as articleURL (its campaign
// parameters, scheme and host case and a trailing slash aside), so a
// hand-written text that quotes the story's address does not get it twice.
func holdsLink(text, link, articleURL string) bool {
	if link == "" || strings.Contains(text, link) {
		return true
	}
	want := articleKey(articleURL)
	if want == "" {
		return false
	}
	var urls urlScanner
	urls.init(text, true)
	for u, ok := urls.next(); ok; u, ok = urls.next() {
		found := text[u.start:u.end]
		if schemeLen(found) == 0 {
			found = "https://" + found
		}
		if articleKey(found) == want {
			return true
		}
	}
	return false
}

// articleKey is what holdsLink compares: the URL without utm_ parameters
// or fragment, scheme and host lower-case, no trailing slash, http and
// https alike.
func articleKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "utm_") {
			q.Del(k)
		}
	}
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	key := host + strings.TrimSuffix(u.EscapedPath(), "/")
	if len(q) > 0 {
		key += "?" + q.Encode()
	}
	return key
}

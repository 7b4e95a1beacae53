package herald

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// TrackingParams are the query parameters CanonicalURL removes (compared
// case-insensitively), besides every parameter whose name starts with "utm_".
// They mark who shared or clicked a link, never which article it is:
//
//	fbclid            Facebook click ID
//	gclid, dclid      Google Ads / Display & Video click IDs
//	gbraid, wbraid    Google Ads iOS click IDs
//	msclkid           Microsoft Advertising click ID
//	yclid             Yandex click ID
//	twclid            X (Twitter) click ID
//	ttclid            TikTok click ID
//	li_fat_id         LinkedIn click ID
//	igshid            Instagram share ID
//	mc_cid, mc_eid    Mailchimp campaign and subscriber IDs
//	_ga, _gl          Google Analytics cross-domain linker
//	_hsenc, _hsmi     HubSpot email tracking
//	mkt_tok           Marketo email tracking
//	oly_anon_id, oly_enc_id  Omeda tracking
//	vero_id, vero_conv       Vero email tracking
//	s_cid             Adobe campaign ID
//	ref_src, ref_url  X embed referrer
//	__twitter_impression     X impression marker
var TrackingParams = []string{
	"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
	"twclid", "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "_ga", "_gl",
	"_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id",
	"vero_conv", "s_cid", "ref_src", "ref_url", "__twitter_impression",
}

var trackingSet = func() map[string]bool {
	m := make(map[string]bool, len(TrackingParams))
	for _, p := range TrackingParams {
		m[p] = true
	}
	return m
}()

// ErrBadURL is returned (wrapped) by CanonicalURL for anything that is not an
// absolute http or https URL.
var ErrBadURL = errors.New("not an absolute http(s) URL")

// CanonicalURL returns the form of an article URL that identifies it: scheme
// and host lower-cased, the scheme's default port dropped, the fragment
// dropped, tracking parameters (utm_* and TrackingParams) removed while the
// other query parameters keep their order and encoding, and an empty path
// written "/". Only absolute http and https URLs are accepted.
// CanonicalURL(CanonicalURL(u)) == CanonicalURL(u).
func CanonicalURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("canonical url: %w", err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.Host == "" {
		return "", fmt.Errorf("canonical url %q: %w", truncateForError(s), ErrBadURL)
	}
	host := strings.ToLower(u.Host)
	if u.Scheme == "http" {
		host = strings.TrimSuffix(host, ":80")
	} else {
		host = strings.TrimSuffix(host, ":443")
	}
	host = strings.TrimSuffix(host, ":") // "example.com:" has an empty port
	if host == "" || strings.HasPrefix(host, ":") {
		return "", fmt.Errorf("canonical url %q: %w", truncateForError(s), ErrBadURL)
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	u.ForceQuery = false
	u.RawQuery = cleanQuery(u.RawQuery)
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	out := u.String()
	// Re-parse to be sure what we return is itself canonical (url.String may
	// re-encode parts that url.Parse accepted).
	if _, err := url.Parse(out); err != nil {
		return "", fmt.Errorf("canonical url: %w", err)
	}
	return out, nil
}

// cleanQuery drops tracking parameters and empty pieces from a raw query,
// keeping the rest byte for byte and in order.
func cleanQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var b strings.Builder
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" || isTracking(part) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		escapeQuery(&b, part)
	}
	return b.String()
}

// escapeQuery writes s with the bytes a query may not contain unescaped
// (spaces, controls, non-ASCII, and the few ASCII characters RFC 3986 leaves
// out) percent-encoded, so the result survives another parse unchanged.
func escapeQuery(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>\^`+"`{|}", c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
}

func isTracking(pair string) bool {
	key, _, _ := strings.Cut(pair, "=")
	if k, err := url.QueryUnescape(key); err == nil {
		key = k
	}
	key = strings.ToLower(key)
	return strings.HasPrefix(key, "utm_") || trackingSet[key]
}

func truncateForError(s string) string {
	const max = 100
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

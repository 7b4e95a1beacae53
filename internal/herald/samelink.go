package herald

import (
	"net/url"
	"strings"
)

// SameLink reports whether a link a network hands back (a card's URL, a
// link in a post) is the link Herald posted: scheme and host compared
// case-insensitively, a trailing slash ignored. An empty link matches
// nothing.
func SameLink(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil {
		return false
	}
	norm := func(u *url.URL) string {
		u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawPath = ""
		return u.String()
	}
	return norm(ua) == norm(ub)
}

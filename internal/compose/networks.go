package compose

import (
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/heraldhq/herald/internal/herald"
)

// Limits of the networks other than X.
const (
	// MaxFacebookLength is the longest message a Facebook Page post may have.
	MaxFacebookLength = 63206
	// MaxMastodonLength is Mastodon's default limit (an instance may allow more).
	MaxMastodonLength = 500
	// MaxBlueskyLength is Bluesky's limit, in grapheme clusters.
	MaxBlueskyLength = 300
)

// rules say how a network counts a post, how long it may be, and what is
// posted when an account sets no template.
type rules struct {
	limit  int
	length func(string) int
	// linkInText: the link goes in the text (X, Mastodon, Bluesky) rather
	// than beside it (Facebook's link field).
	linkInText     bool
	template       string
	repostTemplate string
}

// networks holds one entry per network Herald posts to.
var networks = map[herald.Network]rules{
	herald.Twitter: {
		limit: MaxTweetLength, length: WeightedLength, linkInText: true,
		template: "{{.Title}} {{.URL}}", repostTemplate: "ICYMI: {{.Title}} {{.URL}}",
	},
	herald.Facebook: {
		limit: MaxFacebookLength, length: utf8.RuneCountInString,
		template: "{{.Title}}", repostTemplate: "ICYMI: {{.Title}}",
	},
	herald.Mastodon: {
		limit: MaxMastodonLength, length: mastodonLength, linkInText: true,
		template: "{{.Title}} {{.URL}}", repostTemplate: "ICYMI: {{.Title}} {{.URL}}",
	},
	herald.Bluesky: {
		limit: MaxBlueskyLength, length: uniseg.GraphemeClusterCount, linkInText: true,
		template: "{{.Title}} {{.URL}}", repostTemplate: "ICYMI: {{.Title}} {{.URL}}",
	},
}

// mastodonLength counts as Mastodon does by default: grapheme clusters,
// with each link that has a scheme counted as 23 characters.
func mastodonLength(s string) int { return mastodonLengthWith(s, TransformedURLLength) }

// mastodonLengthWith counts as a Mastodon instance whose
// characters_reserved_per_url is urlLength does.
func mastodonLengthWith(s string, urlLength int) int {
	var urls urlScanner
	urls.init(s, false)
	n, last := 0, 0
	for u, ok := urls.next(); ok; u, ok = urls.next() {
		n += uniseg.GraphemeClusterCount(s[last:u.start]) + urlLength
		last = u.end
	}
	return n + uniseg.GraphemeClusterCount(s[last:])
}

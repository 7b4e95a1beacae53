package rank

import "github.com/heraldhq/herald/internal/herald"

// Mastodon's and Bluesky's readers record their counters in the fields
// herald.Engagement has for Facebook: Mastodon's reblogs (boosts) as Shares,
// favourites as Reactions and replies as Comments; Bluesky's reposts as
// Shares (quote posts with them, unless recorded apart as Quotes), likes as
// Reactions and replies as Comments. A report row keeps them in Other; the
// figures below give them back under the networks' own names.

// MastodonFigures are a report row's totals on Mastodon.
type MastodonFigures struct {
	Boosts     int64 `json:"boosts"`
	Favourites int64 `json:"favourites"`
	Replies    int64 `json:"replies"`
}

// BlueskyFigures are a report row's totals on Bluesky. Reposts count quote
// posts too when the reader records them together; Quotes are those it
// records apart.
type BlueskyFigures struct {
	Reposts int64 `json:"reposts"`
	Quotes  int64 `json:"quotes"`
	Likes   int64 `json:"likes"`
	Replies int64 `json:"replies"`
}

// MastodonOf returns r's Mastodon figures (zero when it has none).
func MastodonOf(r herald.ReportRow) MastodonFigures {
	e := r.Other[herald.Mastodon]
	return MastodonFigures{Boosts: e.Shares, Favourites: e.Reactions, Replies: e.Comments}
}

// BlueskyOf returns r's Bluesky figures (zero when it has none).
func BlueskyOf(r herald.ReportRow) BlueskyFigures {
	e := r.Other[herald.Bluesky]
	return BlueskyFigures{Reposts: e.Shares, Quotes: e.Quotes, Likes: e.Reactions, Replies: e.Comments}
}

// Shares is what the row's Bluesky posts add to its shares.
func (b BlueskyFigures) Shares() int64 { return b.Reposts + b.Quotes }

// Row is a report row as WriteJSON writes it: herald.ReportRow's fields,
// then the Mastodon and Bluesky figures under their networks' names.
type Row struct {
	herald.ReportRow
	Mastodon MastodonFigures `json:"mastodon"`
	Bluesky  BlueskyFigures  `json:"bluesky"`
}

// NewRow returns r with its Mastodon and Bluesky figures.
func NewRow(r herald.ReportRow) Row {
	return Row{ReportRow: r, Mastodon: MastodonOf(r), Bluesky: BlueskyOf(r)}
}

// posted reports whether any of rows has posts on n counted (Mastodon and
// Bluesky only: X and Facebook figures are always there).
func posted(rows []herald.ReportRow, n herald.Network) bool {
	for _, r := range rows {
		if _, ok := r.Other[n]; ok {
			return true
		}
	}
	return false
}

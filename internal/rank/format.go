package rank

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Formats are the values of --format, the first being the default.
var Formats = []string{"table", "json", "csv"}

// WriteJSON writes rows as an indented JSON array (an empty array when there
// are none) of Row: the field names of herald.ReportRow's tags (rank,
// article_id, title, url, section, published_at (RFC 3339, UTC), score,
// shares, reactions, comments, clicks, impressions, views, twitter{retweets, quotes,
// likes, replies, impressions}, facebook{shares, reactions, comments} and,
// when there are any, other{...}), then mastodon{boosts, favourites,
// replies} and bluesky{reposts, quotes, likes, replies}.
func WriteJSON(w io.Writer, rows []herald.ReportRow) error {
	out := make([]Row, len(rows))
	for i, r := range rows {
		r.PublishedAt = r.PublishedAt.UTC()
		out[i] = NewRow(r)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// csvHeader is WriteCSV's first row: Row flattened, each network's figures
// prefixed with its name. Columns are only ever added, at the end.
var csvHeader = []string{"rank", "article_id", "title", "url", "section", "published_at", "score",
	"shares", "reactions", "comments", "clicks", "impressions",
	"twitter_retweets", "twitter_quotes", "twitter_likes", "twitter_replies", "twitter_impressions",
	"facebook_shares", "facebook_reactions", "facebook_comments",
	"mastodon_boosts", "mastodon_favourites", "mastodon_replies",
	"bluesky_reposts", "bluesky_quotes", "bluesky_likes", "bluesky_replies", "views"}

// WriteCSV writes rows as CSV (RFC 4180) with a header row and one flat row
// per article; published_at is RFC 3339 in UTC.
func WriteCSV(w io.Writer, rows []herald.ReportRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	for _, r := range rows {
		m, b := MastodonOf(r), BlueskyOf(r)
		rec := []string{strconv.Itoa(r.Rank), i64(r.ArticleID), r.Title, r.URL, r.Section,
			r.PublishedAt.UTC().Format(time.RFC3339), strconv.FormatFloat(r.Score, 'f', -1, 64),
			i64(r.Shares), i64(r.Reactions), i64(r.Comments), i64(r.Clicks), i64(r.Impressions),
			i64(r.Twitter.Retweets), i64(r.Twitter.Quotes), i64(r.Twitter.Likes), i64(r.Twitter.Replies),
			i64(r.Twitter.Impressions), i64(r.Facebook.Shares), i64(r.Facebook.Reactions), i64(r.Facebook.Comments),
			i64(m.Boosts), i64(m.Favourites), i64(m.Replies),
			i64(b.Reposts), i64(b.Quotes), i64(b.Likes), i64(b.Replies), i64(r.Views)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

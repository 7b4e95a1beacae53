package herald

import "time"

// Engagement is one reading of a post's public counters. Fields a network does
// not report stay zero.
type Engagement struct {
	// X
	Retweets    int64
	Quotes      int64
	Likes       int64
	Replies     int64
	Impressions int64
	Bookmarks   int64
	// Facebook (and, mapped, Mastodon and Bluesky)
	Shares    int64
	Reactions int64
	Comments  int64
}

// Snapshot is an Engagement reading of one posted job at a time.
type Snapshot struct {
	JobID int64
	At    time.Time
	Engagement
}

// Post is a sent job as the collector sees it.
type Post struct {
	JobID           int64
	ArticleID       int64
	Account         string
	RemoteID        string
	SentAt          time.Time
	LastCollectedAt time.Time // zero when never read
}

// PostFilter selects posts whose engagement should be read.
type PostFilter struct {
	Accounts   []string  // empty: all
	SentAfter  time.Time // only posts younger than collect_for
	Limit      int
	AfterJobID int64 // paging
}

// ReportQuery asks for the most-shared table.
type ReportQuery struct {
	Since    time.Time // articles published at or after
	Until    time.Time // zero: now
	By       string    // "shares" (default), "score", "reactions", "comments", "clicks", "views"
	Network  Network   // empty: all networks
	Section  string
	Limit    int
	Trending bool // rank by what was gained inside [Since, Until] from snapshots
	Weights  Weights
}

// Weights of the score.
type Weights struct {
	Shares, Comments, Reactions, Clicks float64
}

// DefaultWeights are ranking.weights' defaults.
var DefaultWeights = Weights{Shares: 3, Comments: 2, Reactions: 1, Clicks: 1}

// ReportRow is one article in the ranking. Totals are across the article's
// posts on the selected networks, excluding posts gone from the network.
type ReportRow struct {
	Rank        int       `json:"rank"`
	ArticleID   int64     `json:"article_id"`
	Title       string    `json:"title"`
	URL         string    `json:"url"`
	Section     string    `json:"section"`
	PublishedAt time.Time `json:"published_at"`
	Score       float64   `json:"score"`
	Shares      int64     `json:"shares"`
	Reactions   int64     `json:"reactions"`
	Comments    int64     `json:"comments"`
	Clicks      int64     `json:"clicks"`
	Impressions int64     `json:"impressions"`
	// Views counts the article's page views (one per client network and
	// UTC day) since it was published or, when trending, inside the window.
	Views   int64 `json:"views"`
	Twitter struct {
		Retweets    int64 `json:"retweets"`
		Quotes      int64 `json:"quotes"`
		Likes       int64 `json:"likes"`
		Replies     int64 `json:"replies"`
		Impressions int64 `json:"impressions"`
	} `json:"twitter"`
	Facebook struct {
		Shares    int64 `json:"shares"`
		Reactions int64 `json:"reactions"`
		Comments  int64 `json:"comments"`
	} `json:"facebook"`
	// Other networks' totals (mastodon, bluesky), keyed by network.
	Other map[Network]Engagement `json:"other,omitempty"`
}

// SeriesPoint is an article's summed engagement at one time, for sparklines
// and the dashboard's charts.
type SeriesPoint struct {
	At        time.Time `json:"at"`
	Shares    int64     `json:"shares"`
	Reactions int64     `json:"reactions"`
	Comments  int64     `json:"comments"`
}

// Metric is the row's figure for a ranking by by: its shares, reactions,
// comments or clicks, and its score for any other ranking.
func (r *ReportRow) Metric(by string) float64 {
	switch by {
	case "shares":
		return float64(r.Shares)
	case "reactions":
		return float64(r.Reactions)
	case "comments":
		return float64(r.Comments)
	case "clicks":
		return float64(r.Clicks)
	}
	return r.Score
}

// Add adds one network's sums (and the posts' clicks) to the row: shares are retweets,
// quotes and shares; reactions likes and reactions; comments replies and
// comments, whatever the network.
func (r *ReportRow) Add(n Network, e Engagement, clicks int64) {
	r.Shares += e.Retweets + e.Quotes + e.Shares
	r.Reactions += e.Likes + e.Reactions
	r.Comments += e.Replies + e.Comments
	r.Impressions += e.Impressions
	r.Clicks += clicks
	switch n {
	case Twitter:
		r.Twitter.Retweets += e.Retweets
		r.Twitter.Quotes += e.Quotes
		r.Twitter.Likes += e.Likes
		r.Twitter.Replies += e.Replies
		r.Twitter.Impressions += e.Impressions
	case Facebook:
		r.Facebook.Shares += e.Shares
		r.Facebook.Reactions += e.Reactions
		r.Facebook.Comments += e.Comments
	case "":
	default:
		if r.Other == nil {
			r.Other = make(map[Network]Engagement)
		}
		o := r.Other[n]
		o.Retweets += e.Retweets
		o.Quotes += e.Quotes
		o.Likes += e.Likes
		o.Replies += e.Replies
		o.Impressions += e.Impressions
		o.Bookmarks += e.Bookmarks
		o.Shares += e.Shares
		o.Reactions += e.Reactions
		o.Comments += e.Comments
		r.Other[n] = o
	}
}

// Score is the weighted sum that ranks a row: shares, comments, reactions
// and clicks, each times its weight.
func (w Weights) Score(r ReportRow) float64 {
	return float64(r.Shares)*w.Shares + float64(r.Comments)*w.Comments +
		float64(r.Reactions)*w.Reactions + float64(r.Clicks)*w.Clicks
}

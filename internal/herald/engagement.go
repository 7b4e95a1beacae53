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
	By       string    // "shares" (default), "score", "reactions", "comments", "clicks"
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
	Twitter     struct {
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

// Package herald is Herald's domain: the articles it watches, the post jobs it
// sends, the engagement it reads back, and the two seams that have more than one
// implementation: Store (SQLite, PostgreSQL) and Publisher (one per network).
//
// Nothing here does I/O; adapters named after their technology implement or use
// these types, and internal/cli wires them together.
package herald

import "time"

// Network names an account's social network.
type Network string

// Networks Herald publishes to.
const (
	Twitter  Network = "twitter"
	Facebook Network = "facebook"
	Mastodon Network = "mastodon"
	Bluesky  Network = "bluesky"
)

// Source is a feed (or the built-in push source "webhook") and the state Herald
// keeps about polling it. Name and URL come from the configuration; the rest is
// owned by the store.
type Source struct {
	ID           int64
	Name         string
	URL          string
	ETag         string
	LastModified string
	// Seeded is true once the first poll has recorded the feed's backlog, so
	// later items are new stories rather than history.
	Seeded       bool
	LastPolledAt time.Time // zero when never polled
	NextPollAt   time.Time
	LastStatus   int    // HTTP status (or 0) of the last poll
	LastError    string // empty after a successful poll
	Failures     int    // consecutive failed polls, for backoff
	ArticleCount int    // filled by ListSources
	// WebSub: the hub the feed advertises and the subscription's state.
	HubURL         string
	PushState      string // "", "pending", "active", "failed"
	PushSecret     string
	PushLeaseUntil time.Time
}

// Article is one story, whichever feeds (sections) carried it. Its identity is
// the canonical URL, plus the GUID its feeds gave it.
type Article struct {
	ID          int64
	URL         string // canonical: see CanonicalURL
	GUID        string // the GUID of the first feed that carried it
	Title       string // plain text
	Summary     string // plain text
	Author      string
	ImageURL    string
	Categories  []string
	Section     string // name of the first source that carried it
	Sections    []string
	PublishedAt time.Time // falls back to FirstSeenAt
	FirstSeenAt time.Time
	UpdatedAt   time.Time // when Herald last changed it
	// SourceUpdatedAt is the source's own time of the version stored (the
	// webhook's updated_at); zero when no source gave one. An item edited
	// before it is not applied: see DecideItem.
	SourceUpdatedAt time.Time
	// Stale is set on articles older than publish.max_age when first seen:
	// recorded, never posted.
	Stale bool
}

// Priority orders the outbox: higher goes first, then publication time.
type Priority int

// Priorities.
const (
	PriorityNormal   Priority = 0
	PriorityBreaking Priority = 10
)

// ArticleInput is an item as a source delivered it, with what should happen if
// it turns out to be a new story.
type ArticleInput struct {
	URL         string // canonical
	GUID        string // optional; scoped to the source
	Title       string
	Summary     string
	Author      string
	ImageURL    string
	Categories  []string
	PublishedAt time.Time // zero: unknown (the store uses first-seen time)
	// UpdatedAt is when the source last edited the item (the webhook's
	// updated_at); zero: unknown. An item older than the version stored
	// is not applied (DecideItem).
	UpdatedAt time.Time
	// Announce asks for post jobs when the article is new to the store, or is
	// seen for the first time in this source. False on a feed's first sight
	// (the backlog) and for stale items.
	Announce bool
	Stale    bool
	Targets  []string // account IDs to create jobs for when announced
	Priority Priority
	// Skip maps a target to the reason its automatic post is recorded
	// skipped rather than pending (a filter stopped it); see PlanJobs.
	Skip map[string]string
	// MaxNew is the flood limit of the delivery the item came in, the same
	// on every item of a SaveArticles call (0: none); see Flooded.
	MaxNew int
	// Story is what the CMS asked for this story's posts (the webhook).
	Story Instructions
	// Hold names the targets whose automatic post waits for review, and
	// Text the targets whose post has its own text; see IntakeRules.Prepare.
	Hold map[string]bool
	Text map[string]string
}

// SaveResult says what SaveArticles did with one input.
type SaveResult struct {
	Article Article
	New     bool    // the article did not exist before
	Updated bool    // an existing article's title/summary/etc. changed
	Jobs    []int64 // IDs of the jobs created (none when not announced, or all existed)
	// Flood: the article's posts were recorded skipped with SkipFlood.
	Flood bool
	// EditSkipped, when set, says why the item's fields were not applied:
	// an older edit than the one stored (it starts with SkipStaleEdit).
	EditSkipped string
}

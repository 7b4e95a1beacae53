package herald

import (
	"context"
	"time"
)

// SourceSpec is a source as configured: the store keeps its polling state by name.
type SourceSpec struct {
	Name string
	URL  string
}

// PollResult is what one poll of a source left to remember.
type PollResult struct {
	SourceID     int64
	ETag         string
	LastModified string
	Status       int       // HTTP status, 0 for a network or parse failure
	Error        string    // empty on success
	Failures     int       // consecutive failures after this poll
	Seeded       bool      // the backlog has been recorded
	PolledAt     time.Time // when the poll started
	NextPollAt   time.Time
	HubURL       string // WebSub hub advertised by the feed, if any
}

// ArticleFilter selects articles for listing.
type ArticleFilter struct {
	Since  time.Time // first seen at or after; zero: all
	Source string    // source name; empty: all
	Limit  int       // 0: no limit
}

// PushState is a source's WebSub subscription state.
type PushState struct {
	HubURL     string
	State      string // "pending", "active", "failed", "" (none)
	Secret     string
	LeaseUntil time.Time
}

// Store is Herald's persistent state. Every implementation passes the suite in
// internal/storetest. Methods return ErrNotFound for a missing row, ErrLeaseLost
// when a lease is no longer held, ErrConflict for a uniqueness violation, and a
// wrapped driver error otherwise. All methods are safe for concurrent use, and,
// on a shared database, by several Herald instances at once.
type Store interface {
	// Migrate applies the embedded schema migrations not yet applied.
	Migrate(ctx context.Context) error
	// Close releases the database.
	Close() error
	// Connected credentials (credentials.go).
	CredentialStore

	// SyncSources creates or updates the configured sources by name. Sources no
	// longer configured are kept (with their history) but never claimed.
	SyncSources(ctx context.Context, specs []SourceSpec) error
	// ListSources returns every configured source with its article count.
	ListSources(ctx context.Context) ([]Source, error)
	// GetSource returns a source by name.
	GetSource(ctx context.Context, name string) (Source, error)
	// ClaimSources leases up to limit configured sources due at now
	// (NextPollAt ≤ now, lease free or expired) to owner until now+lease.
	ClaimSources(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Source, error)
	// SavePoll records a poll's result and releases owner's lease (ErrLeaseLost
	// when the lease was lost; the result is then not recorded).
	SavePoll(ctx context.Context, owner string, r PollResult) error
	// PushSource returns the push-only source with this name (the CMS webhook),
	// creating it if needed. A push-only source has no URL, is never claimed
	// for polling and is left alone by SyncSources.
	PushSource(ctx context.Context, name string) (Source, error)
	// SetPush records a source's WebSub subscription state.
	SetPush(ctx context.Context, sourceID int64, p PushState) error

	// SaveArticles records items delivered by one source in one transaction:
	// an item matching an existing article by canonical URL, or by GUID within
	// the source, updates that article (an edit is never a new story) and links
	// it to the source; any other item is a new article. For announced items
	// that are new, or newly linked to this source, it creates one pending job
	// (Seq 0) per target that has none, in the same transaction.
	SaveArticles(ctx context.Context, sourceID int64, items []ArticleInput, now time.Time) ([]SaveResult, error)
	// GetArticle returns an article by ID.
	GetArticle(ctx context.Context, id int64) (Article, error)
	// FindArticle returns the article with this canonical URL.
	FindArticle(ctx context.Context, canonicalURL string) (Article, error)
	// ListArticles returns articles, newest first.
	ListArticles(ctx context.Context, f ArticleFilter) ([]Article, error)

	// CreateJob creates a repost or ad-hoc job with the next Seq for its
	// article and account.
	CreateJob(ctx context.Context, j NewJob, now time.Time) (Job, error)
	// ClaimJobs leases due pending jobs of the allowed accounts to opts.Owner,
	// highest priority first, then oldest publication. Jobs left in sending
	// with an expired lease are claimed too, with Reconcile set. Paused
	// accounts and accounts on hold are not served.
	ClaimJobs(ctx context.Context, opts ClaimOptions) ([]Job, error)
	// StartAttempt marks a claimed job sending, records the attempt and
	// extends the lease, before the network is called.
	StartAttempt(ctx context.Context, jobID int64, owner string, now time.Time, lease time.Duration) error
	// FinishJob records an attempt's outcome (and its Charge) and releases
	// the lease; ErrLeaseLost when owner no longer holds it.
	FinishJob(ctx context.Context, jobID int64, owner string, o Outcome, now time.Time) error
	// GetJob returns a job with its article.
	GetJob(ctx context.Context, id int64) (Job, error)
	// FindJobByRemote returns the sent job with this remote ID or permalink.
	FindJobByRemote(ctx context.Context, remoteIDOrPermalink string) (Job, error)
	// ListJobs returns jobs, newest first, with their articles and latest engagement.
	ListJobs(ctx context.Context, f JobFilter) ([]Job, error)
	// CountJobs counts jobs by state (account "" for all).
	CountJobs(ctx context.Context, account string) (JobCounts, error)
	// NextDue returns the earliest NextAttemptAt of pending jobs (zero if none).
	NextDue(ctx context.Context) (time.Time, error)
	// RetryJob puts a failed or skipped job back to pending, due now.
	RetryJob(ctx context.Context, id int64, now time.Time) error
	// RetryFailed puts every failed job back to pending and returns how many.
	RetryFailed(ctx context.Context, now time.Time) (int, error)
	// RetryFlood puts the automatic posts recorded skipped with SkipFlood
	// for the stories source delivered back to pending, due now, and
	// returns how many.
	RetryFlood(ctx context.Context, source string, now time.Time) (int, error)
	// CountFlood counts the automatic posts recorded skipped with SkipFlood
	// and not released, of the stories source carries ("" for every source).
	CountFlood(ctx context.Context, source string) (int, error)
	// CancelJob skips a pending job with reason cancelled.
	CancelJob(ctx context.Context, id int64, now time.Time) error
	// MarkDeleted records that a sent post was deleted from its network.
	MarkDeleted(ctx context.Context, jobID int64, at time.Time) error
	// SentCount counts an account's jobs sent at or after since.
	SentCount(ctx context.Context, account string, since time.Time) (int, error)

	// SyncAccounts creates the configured accounts that do not exist yet.
	SyncAccounts(ctx context.Context, accounts []Account) error
	// GetAccount returns an account's state.
	GetAccount(ctx context.Context, id string) (Account, error)
	// ListAccounts returns every account with SentToday (since the UTC day
	// began), MonthSpend (calendar month, UTC) and PendingJobs filled.
	ListAccounts(ctx context.Context, now time.Time) ([]Account, error)
	// PauseAccount pauses an account (jobs stay pending) with a reason.
	PauseAccount(ctx context.Context, id, reason string) error
	// ResumeAccount lifts a pause and any hold.
	ResumeAccount(ctx context.Context, id string) error
	// HoldAccount keeps an account from sending before until; it never
	// shortens an existing hold.
	HoldAccount(ctx context.Context, id string, until time.Time, reason string) error
	// SetTokenExpiry records when an account's token expires.
	SetTokenExpiry(ctx context.Context, id string, at time.Time) error
	// LoadToken returns a stored OAuth 2.0 token (ErrNotFound if none).
	LoadToken(ctx context.Context, account string) (Token, error)
	// SaveToken stores an OAuth 2.0 token pair, replacing the previous one.
	SaveToken(ctx context.Context, account string, t Token) error
	// RecordCharge adds a billable call to the ledger. A read of a post
	// already charged on the same UTC day is not recorded again (recorded=false).
	RecordCharge(ctx context.Context, c Charge) (recorded bool, err error)
	// Spend sums an account's ledger at or after since.
	Spend(ctx context.Context, account string, since time.Time) (Money, error)

	// PostsToCollect returns sent, not deleted, not gone posts matching f,
	// ordered by job ID.
	PostsToCollect(ctx context.Context, f PostFilter) ([]Post, error)
	// SaveSnapshots stores engagement readings and makes them each post's latest.
	SaveSnapshots(ctx context.Context, snaps []Snapshot) error
	// MarkRemoteGone records that the network no longer has a post; it is kept
	// out of rankings from then on.
	MarkRemoteGone(ctx context.Context, jobID int64) error
	// RecordClick counts a click on a short link and returns its job (with
	// article) for the redirect.
	RecordClick(ctx context.Context, code string, at time.Time) (Job, error)
	// FindJobByShortCode returns the job (with its article) of a short code
	// without counting a click, or ErrNotFound.
	FindJobByShortCode(ctx context.Context, code string) (Job, error)
	// Report ranks articles as q asks.
	Report(ctx context.Context, q ReportQuery) ([]ReportRow, error)
	// Series returns an article's summed engagement over time since since.
	Series(ctx context.Context, articleID int64, since time.Time) ([]SeriesPoint, error)

	// TryLock takes or renews a named lease for schedules that must run once
	// across instances (collector passes, the evergreen schedule).
	TryLock(ctx context.Context, name, owner string, now time.Time, lease time.Duration) (bool, error)
	// Unlock gives up owner's lease on the named lock so that another
	// instance may take it at once; it does nothing when owner does not
	// hold it.
	Unlock(ctx context.Context, name, owner string) error

	JobNotifier
	ClickRecorder
	ReplayGuard
	FingerprintStore
	ReviewStore
	AlertStore
	ViewStore
	DigestStore
}

// JobNotifier tells a dispatcher that jobs became due elsewhere: created or
// put back by another instance (or a command) sharing the database. It only
// saves waiting for the dispatcher's next look at the queue; nothing is lost
// without it.
type JobNotifier interface {
	// ListenJobs calls fn each time jobs became due elsewhere, until ctx is
	// done (it then returns nil) or the connection fails. fn runs on
	// ListenJobs' goroutine and should only signal. A store that no other
	// instance shares calls fn never and returns when ctx is done.
	ListenJobs(ctx context.Context, fn func()) error
}

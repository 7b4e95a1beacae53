package herald

import "time"

// JobState is where a post job is in the outbox.
//
//	held ──approve──┐
//	  └─reject─► skipped
//	                ▼
//	pending ──claim──► sending ──► sent
//	   ▲                  │  ├───► skipped (SkipReason)
//	   └──── retry ───────┘  └───► failed  (Error, ErrorKind)
//
// A held job waits for an editor's review (review: true) and is never
// claimed; approving it makes it pending with its priority and due time
// unchanged, so it keeps its place in the queue.
//
// A job found in sending whose lease has expired (a crash, a dead instance)
// has an unknown outcome and is reconciled before it is sent again.
type JobState string

// Job states.
const (
	JobHeld    JobState = "held"
	JobPending JobState = "pending"
	JobSending JobState = "sending"
	JobSent    JobState = "sent"
	JobSkipped JobState = "skipped"
	JobFailed  JobState = "failed"
)

// Terminal reports whether no further attempt will be made on its own.
func (s JobState) Terminal() bool { return s == JobSent || s == JobSkipped || s == JobFailed }

// Reasons a job is skipped.
const (
	SkipStale     = "stale"
	SkipTooLong   = "too long"
	SkipDuplicate = "duplicate"
	SkipDryRun    = "dry-run"
	SkipCancelled = "cancelled"
	SkipBudget    = "budget"
	// SkipRejected: an editor rejected the held post.
	SkipRejected = "rejected"
	// SkipReviewTimeout: nobody reviewed the held post within
	// publish.review_timeout and review_timeout_action is drop.
	SkipReviewTimeout = "review timeout"
	// SkipNoPost: the CMS asked for the story not to be posted (no_post).
	SkipNoPost = "no_post"
)

// Job kinds.
const (
	KindPost   = "post"   // the automatic post of a new story
	KindRepost = "repost" // an editor's or the evergreen schedule's reshare
	KindAdhoc  = "adhoc"  // `herald post`: text and link given by hand
)

// Job is one post of one article to one account: the outbox row. A job in
// state sent is a Post: it has a remote ID and collects engagement.
type Job struct {
	ID        int64
	ArticleID int64
	Account   string
	// Seq is 0 for the automatic post and 1, 2, ... for reposts: (ArticleID,
	// Account, Seq) is unique, so the automatic post can exist only once.
	Seq      int
	Kind     string
	State    JobState
	Priority Priority
	// Template and Text override the account's template (Text wins) for this job.
	Template string
	Text     string
	// ReplyTo is the remote ID of the account's post this one answers (a
	// digest's thread), "" for none.
	ReplyTo string
	// ScheduledAt is when the job first became due; NextAttemptAt when it is due now.
	ScheduledAt   time.Time
	NextAttemptAt time.Time
	Attempts      int
	// AttemptStartedAt is when the last attempt began: reconciliation looks
	// for the post from just before it.
	AttemptStartedAt time.Time
	LastError        string
	ErrorKind        ErrorKind
	SkipReason       string
	SentText         string // the text actually sent
	RemoteID         string
	Permalink        string
	SentAt           time.Time
	DeletedAt        time.Time // removed from the network by `herald delete`
	RemoteGone       bool      // the network says the post no longer exists
	ShortCode        string    // public_url/s/{code} when shortlinks are on
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// Lease: the instance working on the job, until when.
	ClaimedBy  string
	LeaseUntil time.Time

	// Network is the account's network, filled by the store.
	Network Network
	// Latest is the last engagement reading, Clicks the short-link clicks
	// (filled when listed).
	Latest Engagement
	Clicks int64
	// Article is filled by the store when a job is claimed or listed.
	Article *Article
	// Reconcile is set on a claimed job whose previous attempt has an unknown
	// outcome: look for the post on the network before sending again.
	Reconcile bool
}

// NewJob is a job to create by hand (a repost, an ad-hoc post).
type NewJob struct {
	ArticleID int64
	Account   string
	Kind      string // KindRepost or KindAdhoc
	Priority  Priority
	Template  string
	Text      string
	DueAt     time.Time // zero: now
}

// ClaimOptions says which jobs an instance may take now.
type ClaimOptions struct {
	Owner string    // this instance's ID
	Now   time.Time // jobs with NextAttemptAt ≤ Now are due
	Lease time.Duration
	// Accounts maps each account that may send now to the spacing to keep
	// after this claim. An account is only served while its hold has passed
	// and no other owner holds a live claim on one of its jobs (one instance
	// at a time sends for an account, in order; an owner may claim more of
	// an account's jobs while it holds some). Claiming for an account with
	// spacing > 0 takes one job and holds the account until Now+spacing,
	// atomically, and is refused while another job of that account is
	// claimed under a live lease (a call may be in flight), so spacing holds
	// across instances. The sender then holds the
	// account from the end of its call (HoldAccount) before FinishJob.
	Accounts map[string]time.Duration
	// Limits cap accounts' posts (daily caps, budgets): no job of an account
	// is claimed once Max of its jobs were sent at or after Since. An account
	// with a limit is served like one with spacing, one job at a time and
	// not while one of its jobs is claimed, and its limits are counted with
	// its row locked, so several instances together never exceed them.
	Limits []ClaimLimit
	// PerAccount caps jobs claimed per account with no spacing (0 means 1).
	PerAccount int
	Limit      int // total; 0 means no limit
}

// ClaimLimit caps an account's posts: at most Max jobs sent at or after Since.
type ClaimLimit struct {
	Account string
	Max     int
	Since   time.Time
}

// Serial reports whether account is served one job at a time: it has
// spacing or a limit.
func (o ClaimOptions) Serial(account string) bool {
	if o.Accounts[account] > 0 {
		return true
	}
	for _, l := range o.Limits {
		if l.Account == account {
			return true
		}
	}
	return false
}

// Outcome is the result of an attempt, recorded by FinishJob.
type Outcome struct {
	// State is JobSent, JobSkipped, JobFailed, or JobPending to retry at NextAttemptAt.
	State         JobState
	NextAttemptAt time.Time
	SkipReason    string
	Error         string // the API's own message; never a secret
	ErrorKind     ErrorKind
	SentText      string
	RemoteID      string
	Permalink     string
	SentAt        time.Time
	// Attempted is false when the job was given back without any call to the
	// network (account paused meanwhile, budget, quiet hours).
	Attempted bool
	// Charge, when set, is the ledger entry of the call that made the post.
	// It is recorded in the same transaction as the outcome, and only when
	// the outcome is (the lease is still held): an instance that lost the
	// job records nothing, and the one that reconciles it charges once.
	Charge *Charge
}

// JobFilter selects jobs for listing.
type JobFilter struct {
	States    []JobState
	Account   string
	ArticleID int64
	Limit     int
}

// JobCounts counts jobs by state (for /metrics, status and the dashboard).
type JobCounts map[JobState]int

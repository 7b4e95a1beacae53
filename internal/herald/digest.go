package herald

import (
	"context"
	"time"
)

// KindDigest is the kind of the posts of a daily digest.
const KindDigest = "digest"

// DigestPart is one post of an account's digest of a day to create: part 0
// opens it (and carries its Plan), each later part answers the one before
// where the network has threads (ReplyTo).
type DigestPart struct {
	Account   string
	Day       string // the account's local date, YYYY-MM-DD
	Part      int
	ArticleID int64 // the story the part is about (part 0: the first story)
	Text      string
	ReplyTo   string  // the remote ID of the part before ("" for none)
	Plan      []int64 // part 0: the digest's stories, in order
}

// DigestJob is a part of a digest as stored, with its job.
type DigestJob struct {
	Part int
	Plan []int64 // part 0's
	Job  Job
}

// DigestStore keeps the parts of daily digests.
type DigestStore interface {
	// CreateDigestPart creates the pending job of a digest part, due now,
	// unless the part exists: then it returns ErrConflict. The key (account,
	// day, part) makes each part exist once across restarts and instances.
	CreateDigestPart(ctx context.Context, p DigestPart, now time.Time) (Job, error)
	// DigestJobs returns the parts of an account's digest of a day, in order.
	DigestJobs(ctx context.Context, account, day string) ([]DigestJob, error)
}

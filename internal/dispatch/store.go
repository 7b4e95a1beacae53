package dispatch

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Store is what the dispatcher needs of herald.Store.
type Store interface {
	ClaimJobs(ctx context.Context, opts herald.ClaimOptions) ([]herald.Job, error)
	StartAttempt(ctx context.Context, jobID int64, owner string, now time.Time, lease time.Duration) error
	FinishJob(ctx context.Context, jobID int64, owner string, o herald.Outcome, now time.Time) error
	GetJob(ctx context.Context, id int64) (herald.Job, error)
	GetArticle(ctx context.Context, id int64) (herald.Article, error)
	CountJobs(ctx context.Context, account string) (herald.JobCounts, error)
	NextDue(ctx context.Context) (time.Time, error)
	SentCount(ctx context.Context, account string, since time.Time) (int, error)
	GetAccount(ctx context.Context, id string) (herald.Account, error)
	ListAccounts(ctx context.Context, now time.Time) ([]herald.Account, error)
	PauseAccount(ctx context.Context, id, reason string) error
	HoldAccount(ctx context.Context, id string, until time.Time, reason string) error
	SetTokenExpiry(ctx context.Context, id string, at time.Time) error
	RecordCharge(ctx context.Context, c herald.Charge) (recorded bool, err error)
	Spend(ctx context.Context, account string, since time.Time) (herald.Money, error)
}

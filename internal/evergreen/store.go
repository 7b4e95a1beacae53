package evergreen

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Store is what evergreen selection and its schedule need of herald.Store.
type Store interface {
	Report(ctx context.Context, q herald.ReportQuery) ([]herald.ReportRow, error)
	GetArticle(ctx context.Context, id int64) (herald.Article, error)
	ListJobs(ctx context.Context, f herald.JobFilter) ([]herald.Job, error)
	CreateJob(ctx context.Context, j herald.NewJob, now time.Time) (herald.Job, error)
	TryLock(ctx context.Context, name, owner string, now time.Time, lease time.Duration) (bool, error)
}

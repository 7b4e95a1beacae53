package feed

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Store is what the poller needs of herald.Store.
type Store interface {
	SyncSources(ctx context.Context, specs []herald.SourceSpec) error
	GetSource(ctx context.Context, name string) (herald.Source, error)
	ClaimSources(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]herald.Source, error)
	SavePoll(ctx context.Context, owner string, r herald.PollResult) error
	SaveArticles(ctx context.Context, sourceID int64, items []herald.ArticleInput, now time.Time) ([]herald.SaveResult, error)
	herald.FingerprintStore
}

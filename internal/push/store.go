package push

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Store is what WebSub subscriptions need of herald.Store.
type Store interface {
	ListSources(ctx context.Context) ([]herald.Source, error)
	GetSource(ctx context.Context, name string) (herald.Source, error)
	SetPush(ctx context.Context, sourceID int64, p herald.PushState) error
	TryLock(ctx context.Context, name, owner string, now time.Time, lease time.Duration) (bool, error)
}

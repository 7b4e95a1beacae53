package push

import (
	"context"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/lease"
)

// Store is what WebSub subscriptions need of herald.Store.
type Store interface {
	ListSources(ctx context.Context) ([]herald.Source, error)
	GetSource(ctx context.Context, name string) (herald.Source, error)
	SetPush(ctx context.Context, sourceID int64, p herald.PushState) error
	lease.Store // the subscriber's lock
}

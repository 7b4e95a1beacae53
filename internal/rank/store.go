package rank

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/lease"
)

// Store is what the collector needs of herald.Store.
type Store interface {
	PostsToCollect(ctx context.Context, f herald.PostFilter) ([]herald.Post, error)
	SaveSnapshots(ctx context.Context, snaps []herald.Snapshot) error
	MarkRemoteGone(ctx context.Context, jobID int64) error
	HoldAccount(ctx context.Context, id string, until time.Time, reason string) error
	RecordCharge(ctx context.Context, c herald.Charge) (recorded bool, err error)
	lease.Store // the collector's lock
}

// SeriesStore is what SeriesFor needs of herald.Store.
type SeriesStore interface {
	Series(ctx context.Context, articleID int64, since time.Time) ([]herald.SeriesPoint, error)
}

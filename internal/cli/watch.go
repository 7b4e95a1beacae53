package cli

import (
	"context"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/review"
)

// watchers are the daemon's parts that look at the store on a schedule
// and change nothing else: the review timeout (publish.review_timeout).
type watchers struct {
	review *review.Sweeper
}

// newWatchers builds the watchers of cfg over st; wake wakes the
// dispatcher when held posts become pending.
func newWatchers(cfg *config.Config, st herald.Store, wake func(), logger *slog.Logger) *watchers {
	return &watchers{
		review: &review.Sweeper{Store: st, Timeout: cfg.Publish.ReviewTimeout,
			Drop: cfg.Publish.ReviewTimeoutAction == "drop", Wake: wake, Logger: logger},
	}
}

// Run runs every watcher until ctx is done.
func (w *watchers) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return w.review.Run(gctx) })
	return g.Wait()
}

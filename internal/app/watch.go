package app

import (
	"context"
	"io"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/review"
)

// Watchers are the daemon's parts that look at the store on a schedule
// and change nothing else: the review timeout (publish.review_timeout) and
// the alerts (notify).
type Watchers struct {
	review *review.Sweeper
	notify *notify.Notifier
}

// NewWatchers builds the watchers of cfg over st; wake wakes the
// dispatcher when held posts become pending.
// The alerts dropped because an alert webhook's queue was full are exposed
// in set as herald_notify_dropped_total.
func NewWatchers(cfg *config.Config, st herald.Store, wake func(), set *metrics.Set, logger *slog.Logger) *Watchers {
	w := &Watchers{
		review: &review.Sweeper{Store: st, Timeout: cfg.Publish.ReviewTimeout,
			Drop: cfg.Publish.ReviewTimeoutAction == "drop", Wake: wake, Logger: logger},
		notify: notify.New(st, notifyOptions(cfg), logger),
	}
	set.RegisterMetricsWriter(func(out io.Writer) {
		metrics.WriteFamily(out, "herald_notify_dropped_total", "counter",
			[]metrics.Sample{{Value: float64(w.notify.Dropped())}})
	})
	return w
}

// notifyOptions maps the notify keys and the accounts' caps onto the
// notifier's options.
func notifyOptions(cfg *config.Config) notify.Options {
	n := cfg.Notify
	o := notify.Options{Interval: n.Interval, FeedFailingFor: n.FeedFailingFor, TokenWarning: n.TokenWarning,
		Rules: make(map[string]herald.Rules, len(cfg.Accounts))}
	for _, w := range n.Webhooks {
		o.Webhooks = append(o.Webhooks, notify.Webhook{URL: w.URL, Format: w.Format, Secret: w.Secret})
	}
	for id, a := range cfg.Accounts {
		loc, err := accountLocation(id, a) // validated
		if err != nil {
			loc = time.UTC
		}
		o.Rules[id] = herald.Rules{DailyCap: a.DailyCap, Location: loc,
			MonthlyBudget: dispatch.Dollars(a.Cost.MonthlyBudget), PostCost: dispatch.Dollars(a.Cost.PostWithLink)}
	}
	return o
}

// Run runs every watcher until ctx is done.
func (w *Watchers) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return w.review.Run(gctx) })
	g.Go(func() error { return w.notify.Run(gctx) })
	return g.Wait()
}

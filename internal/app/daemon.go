// Package app builds Herald's daemon from a configuration, a clock and a
// store: the dispatcher, the feed poller, the WebSub subscriber, the
// engagement collector, the evergreen schedule and the HTTP server, wired
// to one another. `herald run`, the benchmark and the end-to-end tests
// build it here, so they run the same parts with the same options; the
// commands that send now (`herald post`, `herald repost`) use its
// NewDispatcher and SendNow.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/digest"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/evergreen"
	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/health"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/push"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/web"
)

// Part is one of the daemon's loops: it runs until ctx ends.
type Part interface {
	Run(ctx context.Context) error
}

// Options are what a daemon is built from.
type Options struct {
	// Config is the validated configuration.
	Config *config.Config
	// Store is opened and migrated, with the sources and accounts synced;
	// the caller closes it after Run.
	Store herald.Store
	// Publishers are the accounts' publishers by account ID.
	Publishers map[string]herald.Publisher
	// Now is the clock of every part [time.Now].
	Now func() time.Time
	// Metrics receives the daemon's series, served on /metrics with the
	// process's go_* and process_* series [a new set].
	Metrics *metrics.Set
	// Listener, when set, returns a part that wakes the dispatcher when
	// another instance creates jobs in a shared database (nil: none).
	Listener func(wake func(), set *metrics.Set) Part
	Logger   *slog.Logger
}

// Daemon is everything `herald run` runs, built from one configuration.
type Daemon struct {
	Config     *config.Config
	Store      herald.Store
	Metrics    *metrics.Set
	Dispatcher *dispatch.Dispatcher
	Poller     *feed.Poller
	Push       *push.Subscriber
	Collector  *rank.Collector
	Evergreen  *evergreen.Scheduler // nil when evergreen.schedule is off
	Digest     *digest.Scheduler    // the accounts' daily digests
	Web        *web.Server
	Health     *health.Recorder // failed store writes, for /readyz
	Watchers   *Watchers        // the review timeout and the alerts
	listener   Part
	log        *slog.Logger
}

// New builds every part; nothing runs until Run.
func New(o Options) (*Daemon, error) {
	cfg := o.Config
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = metrics.NewSet()
	}
	d := &Daemon{Config: cfg, Store: o.Store, Metrics: o.Metrics, log: o.Logger}
	comps, err := Composers(cfg)
	if err != nil {
		return nil, err
	}
	d.Metrics.RegisterMetricsWriter((&sourceMetrics{store: d.Store, log: o.Logger}).write)
	d.Health = health.NewRecorder(nil)
	d.Dispatcher, err = NewDispatcher(cfg, d.Store, o.Publishers,
		SenderOptions{Now: o.Now, Metrics: dispatch.NewMetrics(d.Metrics), WriteFailed: d.Health.WriteFailed}, o.Logger)
	if err != nil {
		return nil, err
	}
	wake := d.Dispatcher.Wake
	if o.Listener != nil {
		d.listener = o.Listener(wake, d.Metrics)
	}
	// Whatever brings a new article (a poll, a push, a webhook) wakes the
	// dispatcher, so its post goes out now rather than at the next look.
	fo := FeedOptions(cfg, func(herald.Article) { wake() })
	fo.Now = o.Now
	d.Poller = feed.New(d.Store, fo, o.Logger)
	d.Push = push.NewSubscriber(push.SubscriberOptions{
		Store: d.Store, Guard: OutboundGuard(cfg), PublicURL: cfg.HTTP.PublicURL, Sources: PushSources(cfg), Owner: cfg.Dispatch.InstanceID,
		Now: o.Now, Metrics: d.Metrics, ClientKey: web.ClientKey,
		Ingest: func(ctx context.Context, source string, body []byte, contentType string) error {
			_, err := d.Poller.Ingest(ctx, source, body, contentType)
			return err
		},
	}, o.Logger)
	d.Watchers = NewWatchers(cfg, d.Store, wake, d.Metrics, o.Logger)
	ro := RankOptions(cfg)
	ro.Now = o.Now
	d.Collector = rank.NewCollector(d.Store, RankAccounts(cfg, o.Publishers), ro, o.Logger)
	if d.Evergreen, err = NewEvergreen(cfg, d.Store, wake, o.Now, o.Logger); err != nil {
		return nil, err
	}
	if d.Digest, err = DigestScheduler(cfg, d.Store, wake, o.Now, o.Logger); err != nil {
		return nil, err
	}
	d.Web = web.New(web.Options{
		Addr: cfg.HTTP.Addr, PublicURL: cfg.HTTP.PublicURL, Store: d.Store, Metrics: d.Metrics,
		Ready: d.ready, Warnings: d.warnings, Push: d.Push, Webhook: WebhookOptions(cfg, wake),
		Health: d.Health,
	}, o.Logger)
	if err = d.Web.EnableDashboard(DashboardOptions(cfg, comps)); err != nil {
		return nil, err
	}
	return d, nil
}

// NewEvergreen returns the daemon's evergreen schedule (nil when
// evergreen.schedule is off); created is told when a tick made jobs.
func NewEvergreen(cfg *config.Config, st herald.Store, created func(), now func() time.Time, logger *slog.Logger) (*evergreen.Scheduler, error) {
	if cfg.Evergreen.Schedule == "" {
		return nil, nil
	}
	s, err := evergreen.NewScheduler(st, evergreen.SchedulerOptions{
		Schedule: cfg.Evergreen.Schedule, Criteria: EvergreenCriteria(cfg), Accounts: AccountIDs(cfg),
		Owner: cfg.Dispatch.InstanceID, Created: created, Now: now,
	}, logger)
	if err != nil {
		return nil, configErrorf("evergreen: %w", err)
	}
	return s, nil
}

// Run runs every part under one errgroup until ctx is cancelled (SIGINT,
// SIGTERM) or a part fails, then shuts down in this order:
//
//  1. Intake stops: the HTTP server stops accepting and finishes the
//     requests in flight (at most 5 s), the poller finishes or interrupts
//     its polls (at most 3 s), the WebSub subscriber, the collector, the
//     evergreen and digest schedules, the review timeout, the alerts and the listener
//     for other instances' jobs stop,
//     giving back the locks they hold. At the same moment the dispatcher
//     stops claiming jobs.
//  2. The sends in flight finish (at most dispatch.shutdown_wait); a send
//     still running then keeps its job in sending, to be reconciled by the
//     next claim once its lease ends, so nothing is lost or sent twice.
//  3. Run returns; the caller closes the store.
//
// Run returns nil after a shutdown asked for by ctx, or the error of the
// part that failed.
func (d *Daemon) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return d.Web.Run(gctx) })
	g.Go(func() error { return d.Poller.Run(gctx) })
	g.Go(func() error { return d.Push.Run(gctx) })
	g.Go(func() error { return d.Collector.Run(gctx) })
	g.Go(func() error { return d.Evergreen.Run(gctx) })
	g.Go(func() error { return d.Digest.Run(gctx) })
	g.Go(func() error { return d.Dispatcher.Run(gctx) })
	g.Go(func() error { return d.Watchers.Run(gctx) })
	if d.listener != nil {
		g.Go(func() error { return d.listener.Run(gctx) })
	}
	// Each part starts its own shutdown when gctx ends; this only says so.
	stopped := context.AfterFunc(gctx, func() { d.log.Info("stopping: intake closed, waiting for sends in flight") })
	defer stopped()
	err := g.Wait()
	if err != nil && ctx.Err() == nil {
		return err
	}
	d.log.Info("herald stopped")
	return nil
}

// ready is /readyz's check: the store answers a query.
func (d *Daemon) ready(ctx context.Context) error {
	if _, err := d.Store.CountJobs(ctx, ""); err != nil {
		return fmt.Errorf("store unreachable: %w", err)
	}
	return nil
}

// warnings are /readyz's warnings: paused accounts, tokens about to expire,
// spent budgets, and sources whose polls keep failing.
func (d *Daemon) warnings(ctx context.Context) []string {
	var out []string
	health, err := d.Dispatcher.Health(ctx)
	if err != nil {
		out = append(out, "account health unknown: "+err.Error())
	}
	for _, h := range health {
		for _, w := range h.Warnings {
			out = append(out, "account "+h.ID+": "+w)
		}
	}
	srcs, err := d.Store.ListSources(ctx)
	if err != nil {
		return append(out, "source health unknown: "+err.Error())
	}
	for _, s := range srcs {
		if s.Failures >= 3 && s.URL != "" {
			out = append(out, fmt.Sprintf("source %s: %d failed polls in a row: %s", s.Name, s.Failures, s.LastError))
		}
	}
	return append(out, floodWarnings(ctx, d.Store, srcs)...)
}

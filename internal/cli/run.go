package cli

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/digest"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/evergreen"
	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/push"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/web"
)

func newRunCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the daemon: watch the sources and post each new story (Ctrl-C stops it)",
		Long: `Run Herald until interrupted: poll the configured feeds, accept CMS webhooks
and WebSub pushes, post every new story once to each of its source's target
accounts, read the posts' engagement back, and serve on http.addr the
dashboard (/), /api/popular, the popular widget, short links, the CMS
webhook, /healthz, /readyz and /metrics.

With sandbox: true (the shipped configs/herald.yaml) the posts go to local
emulations of the X, Graph, Mastodon and Bluesky APIs started in-process,
so nothing leaves this machine; file:// feeds are served with their dates
moved so that the newest story was published as the daemon started. With publish.dry_run: true posts are composed and logged, never
sent.

SIGINT or SIGTERM stops intake at once, lets the sends in flight finish (at
most dispatch.shutdown_wait) and exits 0.`,
		Example: "  herald run\n  herald run --config /etc/herald/herald.yaml\n  HERALD_PUBLISH_DRY_RUN=true herald run",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			// Hand the memory of each burst of work back once it is over.
			defer startReleasing(cmd.Context(), debug.FreeOSMemory)()
			d, err := newDaemon(cmd.Context(), cfg, a.Logger())
			if err != nil {
				return err
			}
			return d.Run(cmd.Context())
		},
	}
}

// daemon is everything `herald run` runs, built from one configuration.
type daemon struct {
	cfg    *config.Config
	log    *slog.Logger
	sb     *sandbox
	store  herald.Store
	unmark func() // see markDaemon
	reg    *prometheus.Registry
	disp   *dispatch.Dispatcher
	poller *feed.Poller
	push   *push.Subscriber
	coll   *rank.Collector
	ever   *evergreen.Scheduler // nil when evergreen.schedule is off
	digest *digest.Scheduler    // the accounts' daily digests
	jobs   *jobListener         // wakes the dispatcher on other instances' jobs
	web    *web.Server
}

// newDaemon starts the sandbox (if configured), opens and migrates the
// store, records the sources and accounts, and builds every part; nothing
// runs until Run. cfg is the validated configuration (the sandbox writes its
// credentials into it).
func newDaemon(ctx context.Context, cfg *config.Config, logger *slog.Logger) (_ *daemon, err error) {
	d := &daemon{cfg: cfg, log: logger, reg: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if d.sb, err = startSandbox(cfg, logger); err != nil {
		return nil, err
	}
	d.sb.serveFileSources(cfg, time.Now())
	if d.store, err = openStore(ctx, cfg.Database.URL); err != nil {
		return nil, err
	}
	if d.unmark, err = markDaemon(cfg.Database.URL); err != nil {
		return nil, err
	}
	if err = syncConfig(ctx, d.store, cfg); err != nil {
		return nil, err
	}
	pubs, err := buildPublishers(ctx, cfg, d.store, logger)
	if err != nil {
		return nil, err
	}
	comps, err := buildComposers(cfg)
	if err != nil {
		return nil, err
	}
	accts, err := buildDispatchAccounts(cfg, pubs, comps, shortBase(cfg))
	if err != nil {
		return nil, err
	}
	d.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&sourceMetrics{store: d.store})
	if d.disp, err = dispatch.New(d.store, accts, dispatchOptions(cfg, dispatch.NewMetrics(d.reg)), logger); err != nil {
		return nil, err
	}
	// Jobs another instance creates in a shared database wake it.
	d.jobs = newJobListener(d.store, d.disp.Wake, d.reg, logger)
	// Whatever brings a new article (a poll, a push, a webhook) wakes the
	// dispatcher, so its post goes out now rather than at the next look.
	d.poller = feed.New(d.store, feedOptions(cfg, func(herald.Article) { d.disp.Wake() }), logger)
	d.push = push.NewSubscriber(push.SubscriberOptions{
		Store: d.store, PublicURL: cfg.HTTP.PublicURL, Sources: pushSources(cfg), Owner: cfg.Dispatch.InstanceID,
		Ingest: func(ctx context.Context, source string, body []byte, contentType string) error {
			_, err := d.poller.Ingest(ctx, source, body, contentType)
			return err
		},
	}, logger)
	d.coll = rank.NewCollector(d.store, rankAccounts(cfg, pubs), rankOptions(cfg), logger)
	if d.ever, err = newEvergreenScheduler(cfg, d.store, d.disp.Wake, logger); err != nil {
		return nil, err
	}
	if d.digest, err = newDigestScheduler(cfg, d.store, d.disp.Wake, logger); err != nil {
		return nil, err
	}
	d.web = web.New(web.Options{
		Addr: cfg.HTTP.Addr, PublicURL: cfg.HTTP.PublicURL, Store: d.store, Registry: d.reg,
		Ready: d.ready, Warnings: d.warnings, Push: d.push, Webhook: webhookOptions(cfg, d.disp.Wake),
	}, logger)
	if err = d.web.EnableDashboard(dashboardOptions(cfg, comps)); err != nil {
		return nil, err
	}
	return d, nil
}

// dashboardOptions maps http.admin_token, ranking.weights and shortlinks
// onto the reporting routes (dashboard, /api/popular, widget, /s/{code}). A
// short link leads to the article URL tagged with its account's UTM
// parameters.
func dashboardOptions(cfg *config.Config, comps map[string]*compose.Composer) web.DashboardOptions {
	return web.DashboardOptions{
		AdminToken: cfg.HTTP.AdminToken,
		Weights:    rank.WeightsFrom(cfg.Ranking.Weights),
		Shortlinks: cfg.Shortlinks,
		ShortlinkTarget: func(j herald.Job) string {
			if c := comps[j.Account]; c != nil && j.Article != nil {
				return c.TagURL(j.Article.URL)
			}
			return ""
		},
	}
}

// Run runs every part under one errgroup until ctx is cancelled (SIGINT,
// SIGTERM) or a part fails, then shuts down in this order:
//
//  1. Intake stops: the HTTP server stops accepting and finishes the
//     requests in flight (at most 5 s), the poller finishes or interrupts
//     its polls (at most 3 s), the WebSub subscriber, the collector, the
//     evergreen and digest schedules and the listener for other instances'
//     jobs stop.
//     At the same moment the dispatcher stops claiming jobs.
//  2. The sends in flight finish (at most dispatch.shutdown_wait); a send
//     still running then keeps its job in sending, to be reconciled by the
//     next claim once its lease ends, so nothing is lost or sent twice.
//  3. When every part has returned, the store is closed, then the sandbox.
//
// Run returns nil after a shutdown asked for by ctx (exit status 0), or the
// error of the part that failed.
func (d *daemon) Run(ctx context.Context) error {
	defer d.close()
	d.logStart()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return d.web.Run(gctx) })
	g.Go(func() error { return d.poller.Run(gctx) })
	g.Go(func() error { return d.push.Run(gctx) })
	g.Go(func() error { return d.coll.Run(gctx) })
	g.Go(func() error { return d.ever.Run(gctx) })
	g.Go(func() error { return d.digest.Run(gctx) })
	g.Go(func() error { return d.disp.Run(gctx) })
	g.Go(func() error { return d.jobs.Run(gctx) })
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

// close releases what newDaemon opened: the store, then the sandbox.
func (d *daemon) close() {
	if d.store != nil {
		if err := d.store.Close(); err != nil {
			d.log.Warn("close store", "error", err)
		}
		d.store = nil
	}
	if d.unmark != nil {
		d.unmark()
		d.unmark = nil
	}
	d.sb.Close()
	d.sb = nil
}

// logStart says what this daemon is about to do, secrets left out.
func (d *daemon) logStart() {
	cfg := d.cfg
	mode := "live"
	switch {
	case cfg.Sandbox && cfg.Publish.DryRun:
		mode = "sandbox, dry run"
	case cfg.Sandbox:
		mode = "sandbox"
	case cfg.Publish.DryRun:
		mode = "dry run"
	}
	srcs := make([]string, 0, len(cfg.Sources))
	for _, s := range cfg.Sources {
		srcs = append(srcs, s.Name)
	}
	accts := make([]string, 0, len(cfg.Accounts))
	for _, id := range accountIDs(cfg) {
		accts = append(accts, id+" ("+cfg.Accounts[id].Network+")")
	}
	file := cfg.File
	if file == "" {
		file = "(none: defaults and environment)"
	}
	d.log.Info("herald starting", "mode", mode, "config", file, "database", databaseName(cfg.Database.URL),
		"sources", srcs, "accounts", accts, "http_addr", cfg.HTTP.Addr, "instance_id", cfg.Dispatch.InstanceID)
	warnIdle(cfg, d.log)
}

// databaseName is database.url without a password.
func databaseName(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if at := strings.LastIndex(u, "@"); at > i {
			return u[:i+3] + "***" + u[at:]
		}
	}
	return u
}

// ready is /readyz's check: the store answers a query.
func (d *daemon) ready(ctx context.Context) error {
	if _, err := d.store.CountJobs(ctx, ""); err != nil {
		return fmt.Errorf("store unreachable: %w", err)
	}
	return nil
}

// warnings are /readyz's warnings: paused accounts, tokens about to expire,
// spent budgets, and sources whose polls keep failing.
func (d *daemon) warnings(ctx context.Context) []string {
	var out []string
	health, err := d.disp.Health(ctx)
	if err != nil {
		out = append(out, "account health unknown: "+err.Error())
	}
	for _, h := range health {
		for _, w := range h.Warnings {
			out = append(out, "account "+h.ID+": "+w)
		}
	}
	srcs, err := d.store.ListSources(ctx)
	if err != nil {
		return append(out, "source health unknown: "+err.Error())
	}
	for _, s := range srcs {
		if s.Failures >= 3 && s.URL != "" {
			out = append(out, fmt.Sprintf("source %s: %d failed polls in a row: %s", s.Name, s.Failures, s.LastError))
		}
	}
	return append(out, floodWarnings(ctx, d.store, srcs)...)
}

// webhookOptions maps the http and publish keys onto the webhook's options;
// wake is told when jobs were created.
func webhookOptions(cfg *config.Config, wake func()) web.WebhookOptions {
	sections := make(map[string][]string, len(cfg.Sources))
	for _, s := range cfg.Sources {
		sections[s.Name] = slices.Clone(s.Targets)
	}
	return web.WebhookOptions{
		Secret: cfg.HTTP.WebhookSecret, Targets: cfg.HTTP.WebhookTargets, Accounts: accountIDs(cfg),
		Sections: sections, BreakingCategories: cfg.Publish.BreakingCategories, MaxAge: cfg.Publish.MaxAge,
		Rules: webhookRules(cfg), OnNew: wake,
	}
}

// pushSources is the sources as the WebSub subscriber needs them.
func pushSources(cfg *config.Config) []push.SourceConfig {
	out := make([]push.SourceConfig, 0, len(cfg.Sources))
	for _, s := range cfg.Sources {
		out = append(out, push.SourceConfig{Name: s.Name, URL: s.URL, WebSub: s.WebSub})
	}
	return out
}

// rankAccounts returns the collector's view of the accounts: each with its
// publisher and what the network bills to read one post.
func rankAccounts(cfg *config.Config, pubs map[string]herald.Publisher) []rank.Account {
	out := make([]rank.Account, 0, len(cfg.Accounts))
	for _, id := range slices.Sorted(maps.Keys(pubs)) {
		a := cfg.Accounts[id]
		out = append(out, rank.Account{ID: id, Network: herald.Network(a.Network), Publisher: pubs[id],
			ReadCost: dispatch.Dollars(a.Cost.Read)})
	}
	return out
}

// rankOptions maps the ranking keys onto the collector's options, with
// dispatch.instance_id as its lock owner.
func rankOptions(cfg *config.Config) rank.Options {
	return rank.Options{Interval: cfg.Ranking.CollectInterval, CollectFor: cfg.Ranking.CollectFor,
		Owner: cfg.Dispatch.InstanceID}
}

// sourceMetrics exports the sources' polling state, read from the store at
// each scrape (so it is true whichever instance polled):
//
//	herald_source_failures{source}                 consecutive failed polls
//	herald_source_last_poll_timestamp_seconds{source}
//	herald_source_last_status{source}              HTTP status of the last poll (0: network or parse error)
//	herald_source_articles{source}                 articles seen in the source
type sourceMetrics struct {
	store herald.Store
}

var (
	srcFailuresDesc = prometheus.NewDesc("herald_source_failures",
		"Consecutive failed polls of a source (0: its last poll succeeded).", []string{"source"}, nil)
	srcLastPollDesc = prometheus.NewDesc("herald_source_last_poll_timestamp_seconds",
		"When a source was last polled (Unix time).", []string{"source"}, nil)
	srcStatusDesc = prometheus.NewDesc("herald_source_last_status",
		"HTTP status of a source's last poll (0: a network or parse error).", []string{"source"}, nil)
	srcArticlesDesc = prometheus.NewDesc("herald_source_articles",
		"Articles seen in a source.", []string{"source"}, nil)
)

// Describe implements prometheus.Collector.
func (m *sourceMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- srcFailuresDesc
	ch <- srcLastPollDesc
	ch <- srcStatusDesc
	ch <- srcArticlesDesc
}

// Collect implements prometheus.Collector.
func (m *sourceMetrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	srcs, err := m.store.ListSources(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(srcFailuresDesc, err)
		return
	}
	for _, s := range srcs {
		if s.URL == "" {
			continue // push-only (webhook) sources are never polled
		}
		ch <- prometheus.MustNewConstMetric(srcFailuresDesc, prometheus.GaugeValue, float64(s.Failures), s.Name)
		ch <- prometheus.MustNewConstMetric(srcArticlesDesc, prometheus.GaugeValue, float64(s.ArticleCount), s.Name)
		if !s.LastPolledAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(srcLastPollDesc, prometheus.GaugeValue, float64(s.LastPolledAt.Unix()), s.Name)
			ch <- prometheus.MustNewConstMetric(srcStatusDesc, prometheus.GaugeValue, float64(s.LastStatus), s.Name)
		}
	}
}

package cli

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/secrets"
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
moved so that the newest story was published as the daemon started. With
publish.dry_run: true posts are composed and logged, never sent.

SIGINT or SIGTERM stops intake at once, lets the sends in flight finish (at
most dispatch.shutdown_wait) and exits 0. SIGHUP (or herald reload) reads the
configuration again: when it is valid, sources, accounts, credentials,
intervals and limits take effect (the parts stop as at shutdown and start
again over the same database); when it is not, every problem is logged and
the running configuration is kept.`,
		Example: "  herald run\n  herald run --config /etc/herald/herald.yaml\n  HERALD_PUBLISH_DRY_RUN=true herald run",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			// The collector's target, and the memory of each burst of work
			// handed back once it is over.
			defer app.TuneRuntime(cmd.Context(), os.Getenv)()
			d, err := newDaemon(cmd.Context(), cfg, a.Logger())
			if err != nil {
				return err
			}
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			return d.Run(cmd.Context(), hup, a.loadConfig)
		},
	}
}

// daemon is `herald run`: the sandbox (when configured), the store, and the
// parts internal/app builds over them.
type daemon struct {
	cfg    *config.Config
	log    *slog.Logger
	sb     *sandbox
	store  herald.Store
	unmark func() // see markDaemon
	app    *app.Daemon

	mu       sync.Mutex
	file     string // the running configuration's file, absolute
	attempts int    // reloads asked for since the start
	reloads  int    // configurations taken since the start
	refused  string // why the last reload was refused ("" when it was not)
}

// newDaemon starts the sandbox (if configured), opens and migrates the
// store, records the sources and accounts, and builds every part; nothing
// runs until Run. cfg is the validated configuration (the sandbox writes its
// credentials into it).
func newDaemon(ctx context.Context, cfg *config.Config, logger *slog.Logger) (_ *daemon, err error) {
	d := &daemon{cfg: cfg, log: logger, file: absPath(cfg.File)}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if d.sb, err = startDaemonSandbox(cfg, logger); err != nil {
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
	if err = sealStoredSecrets(ctx, cfg, d.store, logger); err != nil {
		return nil, err
	}
	// From here on, the credentials the daemon stores are sealed (see
	// secrets.Store) when a key is set.
	seal, err := sealer(cfg)
	if err != nil {
		return nil, err
	}
	d.store = secrets.Wrap(d.store, seal)
	if d.app, err = d.build(ctx, cfg); err != nil {
		return nil, err
	}
	return d, nil
}

// build builds the daemon's parts for cfg over the open store, with the
// route through which herald reload finds this process.
func (d *daemon) build(ctx context.Context, cfg *config.Config) (*app.Daemon, error) {
	pubs, err := buildPublishers(ctx, cfg, d.store, d.log)
	if err != nil {
		return nil, err
	}
	ad, err := app.New(app.Options{Config: cfg, Store: d.store, Publishers: pubs, Logger: d.log,
		Listener: func(wake func(), set *metrics.Set) app.Part {
			// Jobs another instance creates in a shared database wake it.
			return newJobListener(d.store, wake, set, d.log)
		}})
	if err != nil {
		return nil, fromApp(err)
	}
	ad.Web.HandleFunc("GET "+processPath, d.serveProcess)
	return ad, nil
}

// Run runs the daemon's parts until ctx is cancelled (see app.Daemon.Run for
// the shutdown order), then closes the store and the sandbox. Each signal on
// reloads asks for the configuration again (load): a valid one replaces the
// running parts (see reload); an invalid one is refused, each problem
// logged, and the parts go on as they were.
func (d *daemon) Run(ctx context.Context, reloads <-chan os.Signal, load func() (*config.Config, error)) error {
	defer d.close()
	d.logStart()
	for {
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		running := d.app
		go func() { done <- running.Run(runCtx) }()
		next, err := d.awaitReload(ctx, done, reloads, load)
		if next == nil {
			stop()
			return err
		}
		// Stop the running parts as at shutdown (intake, then sends in
		// flight, their locks given back), then start the new ones.
		stop()
		if err := <-done; err != nil {
			return err
		}
		d.mu.Lock()
		d.app, d.cfg, d.file = next, next.Config, absPath(next.Config.File)
		d.reloads++
		d.refused = ""
		d.mu.Unlock()
		d.log.Info("configuration reloaded", "config", d.cfg.File, "sources", len(d.cfg.Sources),
			"accounts", accountIDs(d.cfg))
	}
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
	d.log.Info("herald starting", "mode", mode, "config", file, "database", herald.RedactURL(cfg.Database.URL),
		"sources", srcs, "accounts", accts, "http_addr", cfg.HTTP.Addr, "instance_id", cfg.Dispatch.InstanceID)
	warnIdle(cfg, d.log)
}

// rankAccounts returns the collector's view of the accounts.
func rankAccounts(cfg *config.Config, pubs map[string]herald.Publisher) []rank.Account {
	return app.RankAccounts(cfg, pubs)
}

// rankOptions maps the ranking keys onto the collector's options.
func rankOptions(cfg *config.Config) rank.Options { return app.RankOptions(cfg) }

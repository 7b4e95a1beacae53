package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// reloadWait bounds the wait for the daemon to say how a reload went.
const reloadWait = 30 * time.Second

// errNoDaemon says that no daemon answers at http.addr.
var errNoDaemon = errors.New("no daemon answers")

func newReloadCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "reload",
		Short: "Make the running daemon read its configuration again",
		Long: `Check the configuration, then ask the daemon running it (herald run, found
on http.addr as herald status finds it, and only if it runs this same
configuration file) to read it again, as SIGHUP does: sources added, removed
or changed, account settings and credentials, intervals and limits take
effect without a restart. The command waits for the daemon's answer. An
invalid configuration is refused here (exit status 2) and by the daemon,
which then keeps the running one and logs every problem.`,
		Example: "  herald reload\n  herald reload --config /etc/herald/herald.yaml\n  kill -HUP $(pidof herald)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			info, err := signalReload(cmd.Context(), cfg, reloadWait)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.Out(), "The daemon (pid %d) runs the configuration %s again.\n", info.PID, dash(info.Config))
			return err
		},
	}
}

// signalReload finds the daemon serving cfg's http.addr, checks that it runs
// cfg's file, sends it SIGHUP and waits (at most wait) until it says it took
// the configuration; an error when it refused it, or when no daemon answers
// (wrapping errNoDaemon).
func signalReload(ctx context.Context, cfg *config.Config, wait time.Duration) (processInfo, error) {
	url := processURL(cfg)
	before, err := getProcess(ctx, url)
	if err != nil {
		return before, fmt.Errorf("%w at %s: %v", errNoDaemon, url, err)
	}
	if mine := absPath(cfg.File); before.Config != mine {
		return before, fmt.Errorf("%w of this configuration: the daemon at %s (pid %d) runs %s, not %s: not signalled",
			errNoDaemon, url, before.PID, dash(before.Config), dash(mine))
	}
	if err := syscall.Kill(before.PID, syscall.SIGHUP); err != nil {
		return before, fmt.Errorf("signal the daemon (pid %d): %w", before.PID, err)
	}
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return before, ctx.Err()
		case <-tick.C:
		}
		// While the parts restart the daemon may not answer for a moment.
		now, err := getProcess(ctx, url)
		switch {
		case err == nil && now.Reloads > before.Reloads:
			return now, nil
		case err == nil && now.Attempts > before.Attempts && now.Refused != "":
			return now, fmt.Errorf("the daemon (pid %d) refused the configuration and keeps the running one: %s",
				now.PID, now.Refused)
		case time.Now().After(deadline):
			return before, fmt.Errorf("the daemon (pid %d) did not say within %s whether it took the configuration: see its log",
				before.PID, wait)
		}
	}
}

// daemonRuns reports whether the daemon of cfg's configuration file answers
// on http.addr (a daemon of another configuration there does not count).
func daemonRuns(ctx context.Context, cfg *config.Config) bool {
	info, err := getProcess(ctx, processURL(cfg))
	return err == nil && info.Config == absPath(cfg.File)
}

// processURL is the processPath URL of a daemon serving cfg's http.addr.
func processURL(cfg *config.Config) string {
	return strings.TrimSuffix(healthzURL(cfg.HTTP.Addr), "/healthz") + processPath
}

// getProcess asks a daemon which process it is.
func getProcess(ctx context.Context, url string) (processInfo, error) {
	var info processInfo
	ctx, cancel := context.WithTimeout(ctx, daemonProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return info, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return info, errors.New(probeError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return info, fmt.Errorf("HTTP %s (not a Herald daemon of this version?)", resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&info); err != nil || info.PID <= 0 {
		return info, fmt.Errorf("not a Herald daemon (unexpected %s answer)", processPath)
	}
	return info, nil
}

// awaitReload waits for the running parts to end (it returns nil and their
// error) or for a reload whose configuration is valid and built (it
// returns the new parts, not running yet).
func (d *daemon) awaitReload(ctx context.Context, done <-chan error, reloads <-chan os.Signal, load func() (*config.Config, error)) (*app.Daemon, error) {
	for {
		select {
		case err := <-done:
			return nil, err
		case <-reloads:
		}
		d.log.Info("reloading the configuration", "config", d.cfg.File)
		next, err := d.reload(ctx, load)
		d.mu.Lock()
		d.attempts++
		if err != nil {
			d.refused = err.Error()
		}
		d.mu.Unlock()
		if err == nil {
			return next, nil
		}
		var ve *config.ValidationError
		if errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				d.log.Error("reload refused: invalid configuration; the running one is kept", "problem", fe.Error())
			}
			continue
		}
		d.log.Error("reload refused; the running configuration is kept", "error", err)
	}
}

// reload reads and validates the configuration and builds the parts for
// it; the store then records its accounts. In the sandbox the
// accounts stay those the sandbox registered at the start.
func (d *daemon) reload(ctx context.Context, load func() (*config.Config, error)) (*app.Daemon, error) {
	cfg, err := load()
	if err != nil {
		return nil, err
	}
	if cfg.Database.URL != d.cfg.Database.URL {
		return nil, fmt.Errorf("database.url changed (%s): restart herald run to use another database",
			herald.RedactURL(cfg.Database.URL))
	}
	if cfg.Sandbox != d.cfg.Sandbox {
		return nil, errors.New("sandbox changed: restart herald run to turn the sandbox on or off")
	}
	if cfg.Sandbox {
		if !maps.EqualFunc(cfg.Accounts, d.cfg.Accounts, func(a, b config.Account) bool { return a.Network == b.Network }) {
			d.log.Warn("sandbox: accounts added or removed take effect at the next start")
		}
		cfg.Accounts = d.cfg.Accounts
	}
	next, err := d.build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// The sources are written by the new poller as it starts, once the
	// running parts have stopped: a source the running poller does not know
	// yet, claimed by it meanwhile, would be given back for a lease.
	if err := syncAccounts(ctx, d.store, cfg); err != nil {
		return nil, err
	}
	return next, nil
}

// processPath is where the daemon tells a client on this machine which
// process it is and which configuration it runs, so that herald reload
// signals the daemon of its own configuration.
const processPath = "/-/process"

// processInfo is processPath's answer.
type processInfo struct {
	PID      int    `json:"pid"`
	Config   string `json:"config"`   // absolute path of the configuration file ("" without one)
	Attempts int    `json:"attempts"` // reloads asked for
	Reloads  int    `json:"reloads"`  // reloads that took effect
	Refused  string `json:"refused"`  // why the last reload was refused
}

// serveProcess answers processPath, to loopback clients only.
func (d *daemon) serveProcess(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		http.NotFound(w, r)
		return
	}
	d.mu.Lock()
	info := processInfo{PID: os.Getpid(), Config: d.file, Attempts: d.attempts, Reloads: d.reloads, Refused: d.refused}
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(info)
}

// absPath is path made absolute ("" stays "").
func absPath(path string) string {
	if path == "" {
		return ""
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

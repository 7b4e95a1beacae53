package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/config"
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
	url := strings.TrimSuffix(healthzURL(cfg.HTTP.Addr), "/healthz") + processPath
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

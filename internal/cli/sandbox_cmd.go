package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/config"
)

// DefaultSandboxAddr is where `herald sandbox` listens unless --addr says otherwise.
const DefaultSandboxAddr = "127.0.0.1:8090"

func newSandboxCmd(a *App) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve the sandbox on its own, for several herald run instances to share",
		Long: `Serve the emulations of the X, Graph, Mastodon and Bluesky APIs (the sandbox
that sandbox: true runs inside herald run) on their own, on --addr, with
simulated engagement, until SIGINT or SIGTERM (then exit 0). Several
herald run instances pointed at it post to one shared emulation, so each
instance reads back the engagement of the others' posts too.

One address serves every API, each under its own paths (/2/ and /1.1/ X,
/api/ Mastodon, /xrpc/ Bluesky, the rest the Graph API), so every account's
base URL is that address: api_base_url, graph_base_url, instance_url and
pds_url. GET /sandbox/posts lists the posts received (JSON) and GET /healthz
answers ok.

The sandbox registers every account of the configuration: an X user, a
Facebook Page, a Mastodon or a Bluesky account. Each keeps the identity and
credentials the configuration gives it; what the configuration leaves out
is fixed, so the instances can be configured with it in advance:

  X          user_id 1700000000+N; consumer_key, consumer_secret,
             access_token and access_token_secret sandbox-ID-KEY (for
             x_main: sandbox-x_main-consumer_key, and so on)
  Facebook   page_id 990000000000000+N; page_access_token
             sandbox-ID-page_access_token
  Mastodon   access_token sandbox-ID-access_token
  Bluesky    handle ID.sandbox.test (with _ as -); app_password
             sandbox-ID-app_password

where N is the account's place (1, 2, ...) among all the accounts sorted by
ID. These credentials open nothing but the sandbox. The emulations keep the
networks' limits (X: 100 posts per user per 15 minutes).

The sandbox is one network across processes and restarts: its accounts,
posts, ids and engagement are kept in a file beside the SQLite database
(PATH.sandbox.json; with another database it lives in memory only), and
the address it serves on in PATH.sandbox.addr, where herald post, delete,
collect and accounts check of a sandbox: true configuration find it. Only
one process serves a state file at a time. configs/herald.compose.yaml
is a configuration for it (see docker-compose.yml).`,
		Example: `  herald sandbox
  herald sandbox --addr 0.0.0.0:8090 --config configs/herald.compose.yaml
  curl -s http://127.0.0.1:8090/sandbox/posts`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			ln, err := (&net.ListenConfig{}).Listen(cmd.Context(), "tcp", addr)
			if err != nil {
				return usageErrorf("--addr: %w", err)
			}
			return serveSandbox(cmd.Context(), cfg, ln, a.Logger())
		},
	}
	cmd.Flags().StringVar(&addr, "addr", DefaultSandboxAddr, "address to listen on (host:port; port 0 picks a free one, logged)")
	return cmd
}

// serveSandbox serves the installation's sandbox on ln until ctx ends,
// then shuts the server down (ln is closed either way): the state file's
// accounts and posts, and cfg's accounts with their configured identities
// and credentials, else fixedSecret ones.
func serveSandbox(ctx context.Context, cfg *config.Config, ln net.Listener, logger *slog.Logger) error {
	files, keep := sandboxFilesOf(cfg)
	var lockF *os.File
	if keep {
		f, remote, err := claimSandbox(ctx, files, roleSandbox)
		if err != nil {
			ln.Close()
			return err
		}
		if remote != "" {
			ln.Close()
			return fmt.Errorf("sandbox: %s already serves the sandbox of this installation (%s)", remote, files.state)
		}
		lockF = f
	}
	sb, _, err := newServedSandbox(cfg, files, keep, roleSandbox)
	if err != nil {
		ln.Close()
		if lockF != nil {
			lockF.Close()
		}
		return err
	}
	sb.lockF, sb.log = lockF, logger.Warn
	defer func() {
		if err := sb.release(); err != nil {
			logger.Warn("sandbox: cannot keep its state", "error", err)
		}
	}()
	srv := &http.Server{Handler: sb.handler(), ReadHeaderTimeout: 10 * time.Second}
	if err := sb.announce(ln.Addr().String()); err != nil {
		ln.Close()
		return err
	}
	logger.Info("SANDBOX: serving emulations of X, Facebook, Mastodon and Bluesky; posts sent here never reach the real networks",
		"addr", ln.Addr().String(), "state", files.state, "accounts", registered(cfg))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("sandbox: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("sandbox: shut down: %w", err)
	}
	logger.Info("sandbox stopped", "posts", len(sb.posts()))
	return nil
}

// handler serves the emulations (keeping the state after each request),
// /sandbox/posts, /sandbox/id (the address file's token) and /healthz.
func (sb *servedSandbox) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /sandbox/id", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(sb.token + "\n"))
	})
	mux.HandleFunc("GET /sandbox/posts", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(sb.posts())
	})
	mux.Handle("/", sb.persisting(sb.emulations))
	return mux
}

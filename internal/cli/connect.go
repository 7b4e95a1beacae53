package cli

// herald accounts connect / disconnect: obtain an account's credentials
// through the network's own authorization flow and keep them in the store
// (connect_store.go says how they are used). On a terminal the command
// guides; off one, every answer comes from a flag or a line of stdin.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// connectWait bounds how long connect waits for the browser or an answer.
const connectWait = 10 * time.Minute

// connectOptions are the flags of `herald accounts connect`.
type connectOptions struct {
	manual    bool   // paste the redirected URL instead of a loopback server
	oauth1    bool   // X: OAuth 1.0a with a PIN
	port      int    // loopback port
	userToken string // Facebook: a user token from the Graph API Explorer
	page      string // Facebook: the Page's ID or name
	handle    string // Bluesky
}

func newAccountsConnectCmd(a *App) *cobra.Command {
	var o connectOptions
	cmd := &cobra.Command{
		Use:   "connect ID",
		Short: "Connect an account: authorize Herald on the network and store its credentials",
		Long: `Run the network's authorization flow for account ID (declared in the
configuration with its network) and keep the credentials it gives in the
database, where every instance sharing it finds them. Credentials set in the
configuration or HERALD_* variables take precedence over connected ones.

  X (default): OAuth 2.0 with PKCE. Needs client_id (and client_secret for a
     confidential client) and the callback URL http://127.0.0.1:PORT/callback
     registered in the app. Open the URL shown; Herald catches the redirect on
     loopback, or, with --manual, asks for the URL the browser was sent to.
  X --oauth1: OAuth 1.0a with a PIN, for the app's consumer_key and
     consumer_secret.
  Facebook: the login dialog (app_id, app_secret; loopback or --manual), or
     --user-token with a token from the Graph API Explorer; the Page is chosen
     with --page ID|NAME or a prompt, and its token kept.
  Mastodon: registers an app on instance_url (kept for reuse), then the
     authorization code (loopback, or the code the instance shows).
  Bluesky: the handle and an app password, read from stdin or
     HERALD_BLUESKY_APP_PASSWORD (never a flag).

A running daemon uses the new credentials within seconds, and an account
paused for refused credentials is resumed.`,
		Example: "  herald accounts connect x_main\n  herald accounts connect x_main --manual\n" +
			"  herald accounts connect x_main --oauth1\n  herald accounts connect fb_page --page 'Daily News'\n" +
			"  herald accounts connect toot\n  HERALD_BLUESKY_APP_PASSWORD=... herald accounts connect sky --handle news.example.com",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.anyCredentials = true
			return a.connect(cmd.Context(), args[0], o, cmd.Flags().Changed("port"))
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.manual, "manual", false, "print the authorize URL and read the URL the browser was redirected to (no loopback server)")
	f.BoolVar(&o.oauth1, "oauth1", false, "X: OAuth 1.0a with a PIN instead of OAuth 2.0")
	f.IntVar(&o.port, "port", 0, "loopback port of the callback URL (default connect.callback_port, 8765)")
	f.StringVar(&o.userToken, "user-token", "", "Facebook: a user access token (from the Graph API Explorer) instead of the login dialog")
	f.StringVar(&o.page, "page", "", "Facebook: the Page to post as, by ID or name")
	f.StringVar(&o.handle, "handle", "", "Bluesky: the account's handle (default: the configured handle)")
	return cmd
}

func newAccountsDisconnectCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "disconnect ID",
		Short: "Revoke an account's connected credentials where the network allows it, and forget them",
		Long: `Revoke the credentials 'herald accounts connect' stored for account ID
(X: POST /2/oauth2/revoke; Mastodon: POST /oauth/revoke; Facebook and Bluesky
offer no revocation here: remove the app in the account's settings) and
delete them from the database. Credentials in the configuration are not
touched.`,
		Example: "  herald accounts disconnect x_main",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.anyCredentials = true
			return a.disconnect(cmd.Context(), args[0])
		},
	}
}

// connector is one run of connect: the account, the streams and answers.
type connector struct {
	a     *App
	cfg   *config.Config
	id    string
	acct  config.Account
	opts  connectOptions
	in    *bufio.Reader
	http  *http.Client
	store herald.Store
	sb    *sandbox
}

func (a *App) connect(ctx context.Context, id string, o connectOptions, portSet bool) error {
	cfg, acct, err := a.configuredAccount(id)
	if err != nil {
		return err
	}
	if !portSet {
		o.port = cfg.Connect.CallbackPort
	}
	if o.port < 0 || o.port > 65535 {
		return usageErrorf("--port: must be between 0 and 65535 (got %d)", o.port)
	}
	if o.oauth1 && acct.Network != config.NetworkTwitter {
		return usageErrorf("--oauth1: only for X accounts (%s is %s)", id, acct.Network)
	}
	if (o.userToken != "" || o.page != "") && acct.Network != config.NetworkFacebook {
		return usageErrorf("--user-token and --page: only for Facebook accounts (%s is %s)", id, acct.Network)
	}
	if origin := configuredOrigin(id, acct); origin != "" && !cfg.Sandbox {
		fmt.Fprintf(a.Err(), "Note: %s has credentials in the %s; they take precedence over connected ones until removed.\n",
			id, map[string]string{originEnv: "environment", originConfig: "configuration"}[origin])
	}
	st, err := a.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	c := &connector{a: a, cfg: cfg, id: id, acct: acct, opts: o, in: bufio.NewReader(a.In()),
		http: &http.Client{Timeout: 30 * time.Second}, store: st}
	if cfg.Sandbox {
		if c.sb, err = c.startSandbox(); err != nil {
			return err
		}
		defer c.sb.Close()
	}
	ctx, cancel := context.WithTimeout(ctx, connectWait)
	defer cancel()
	var cr herald.Credentials
	switch {
	case acct.Network == config.NetworkTwitter && o.oauth1:
		cr, err = c.xOAuth1(ctx)
	case acct.Network == config.NetworkTwitter:
		cr, err = c.xOAuth2(ctx)
	case acct.Network == config.NetworkMastodon:
		cr, err = c.mastodon(ctx)
	case acct.Network == config.NetworkBluesky:
		cr, err = c.bluesky(ctx)
	case acct.Network == config.NetworkFacebook:
		cr, err = c.facebook(ctx)
	default:
		return usageErrorf("accounts.%s.network: %q cannot be connected", id, acct.Network)
	}
	if err != nil {
		return fmt.Errorf("connect %s: %w", id, err)
	}
	return c.keep(ctx, cr)
}

// keep stores the credentials, records their expiry, and resumes the
// account if refused credentials had paused it.
func (c *connector) keep(ctx context.Context, cr herald.Credentials) error {
	cr.Account, cr.Network = c.id, herald.Network(c.acct.Network)
	if _, err := c.store.SaveCredentials(ctx, cr); err != nil {
		return err
	}
	if err := c.store.SetTokenExpiry(ctx, c.id, cr.Expiry); err != nil {
		return err
	}
	acct, err := c.store.GetAccount(ctx, c.id)
	if err != nil {
		return err
	}
	resumed := ""
	if acct.Paused {
		if err := c.store.ResumeAccount(ctx, c.id); err != nil {
			return err
		}
		resumed = " It was paused (" + acct.PauseReason + "); it is resumed."
	}
	who := cr.Public["username"]
	if who == "" {
		who = cr.Public["page_name"]
	}
	expiry := "they do not expire"
	if !cr.Expiry.IsZero() {
		expiry = "they expire " + cr.Expiry.UTC().Format(time.RFC3339)
	}
	_, err = fmt.Fprintf(c.a.Out(), "Connected %s (%s %s) with %s: credentials stored in the database; %s.%s\n",
		c.id, c.acct.Network, who, cr.Method, expiry, resumed)
	return err
}

// ask prints question on standard error and reads one line of the answer.
func (c *connector) ask(question string) (string, error) {
	fmt.Fprint(c.a.Err(), question)
	line, err := c.in.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		if errors.Is(err, io.EOF) {
			return "", usageErrorf("no answer on standard input to %q", strings.TrimSpace(question))
		}
		return "", fmt.Errorf("read answer: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// say writes a line of guidance on standard error.
func (c *connector) say(format string, args ...any) {
	fmt.Fprintf(c.a.Err(), format+"\n", args...)
}

// redirectURL is the loopback callback URL on port.
func (c *connector) redirectURL(port int) string {
	return "http://127.0.0.1:" + strconv.Itoa(port) + "/callback"
}

// callback listens for the browser's redirect on loopback. The returned
// function waits for it and returns the URL it reached.
func (c *connector) callback() (redirect string, wait func(ctx context.Context) (*url.URL, error), err error) {
	if c.opts.manual {
		redirect = c.redirectURL(c.opts.port)
		return redirect, func(ctx context.Context) (*url.URL, error) {
			line, err := c.ask("Paste the URL your browser was redirected to (it starts with " + redirect + "):\n> ")
			if err != nil {
				return nil, err
			}
			u, err := url.Parse(line)
			if err != nil || u.Query().Get("state") == "" && u.Query().Get("code") == "" && u.Query().Get("error") == "" {
				return nil, usageErrorf("that is not the redirected URL (it has no code, state or error): %q", line)
			}
			return u, nil
		}, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(c.opts.port))
	if err != nil {
		return "", nil, fmt.Errorf("listen for the redirect on 127.0.0.1:%d (use --port, or --manual): %w", c.opts.port, err)
	}
	redirect = c.redirectURL(ln.Addr().(*net.TCPAddr).Port)
	got := make(chan *url.URL, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		select {
		case got <- &u:
			fmt.Fprintln(w, "Herald received the authorization. You can close this tab and return to the terminal.")
		default:
			http.Error(w, "Herald already received an authorization.", http.StatusConflict)
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	return redirect, func(ctx context.Context) (*url.URL, error) {
		// Shut down, not Close: the browser gets its answer even when the
		// redirect arrives as the command moves on.
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		select {
		case u := <-got:
			return u, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("no redirect reached %s: %w", redirect, ctx.Err())
		}
	}, nil
}

// configuredAccount returns the configuration and its account id, or a
// usage error naming the accounts there are.
func (a *App) configuredAccount(id string) (*config.Config, config.Account, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, config.Account{}, err
	}
	acct, ok := cfg.Accounts[id]
	if !ok {
		return nil, acct, usageErrorf("account %q is not configured (accounts: %s)", id, strings.Join(accountIDs(cfg), ", "))
	}
	return cfg, acct, nil
}

// disconnect revokes and forgets an account's connected credentials.
func (a *App) disconnect(ctx context.Context, id string) error {
	_, acct, err := a.configuredAccount(id)
	if err != nil {
		return err
	}
	st, err := a.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	cr, err := st.LoadCredentials(ctx, id)
	if errors.Is(err, herald.ErrNotFound) {
		return fmt.Errorf("%s has no connected credentials", id)
	}
	if err != nil {
		return err
	}
	revoked, err := revokeConnected(ctx, st, acct, cr, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		fmt.Fprintf(a.Err(), "Warning: %s: could not revoke on the network (%v); forgetting them anyway.\n", id, err)
	}
	if err := st.DeleteCredentials(ctx, id); err != nil {
		return err
	}
	if err := st.SetTokenExpiry(ctx, id, time.Time{}); err != nil {
		return err
	}
	what := "forgotten"
	if revoked {
		what = "revoked and forgotten"
	}
	_, err = fmt.Fprintf(a.Out(), "Disconnected %s: its connected credentials are %s.\n", id, what)
	return err
}

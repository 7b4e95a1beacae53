package cli

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
)

// emulations are the sandbox's emulated X, Graph, Mastodon and Bluesky
// APIs, with simulated engagement, served together on one address: a
// request goes to the API its path belongs to (see ServeHTTP), so every
// account's base URL (api_base_url, graph_base_url, instance_url, pds_url)
// is that one address. `sandbox: true` runs them in-process on loopback;
// `herald sandbox` serves them on their own for several instances to share.
type emulations struct {
	X        *emulator.X
	Graph    *emulator.Graph
	Mastodon *emulator.Mastodon
	Bluesky  *emulator.Bluesky
	// names maps each emulated identity (X user ID, Page ID, Mastodon
	// account ID, Bluesky DID) to its account ID, for the post listing.
	names map[string]string
}

func newEmulations() *emulations {
	// The X emulation's own limits stay (100 posts per 15 minutes per
	// user), so the sandbox behaves like X; its injected 429s reset after a
	// second.
	e := &emulations{
		X:        emulator.NewX(emulator.XOptions{}),
		Graph:    emulator.NewGraph(emulator.GraphOptions{SimulateEngagement: true}),
		Mastodon: emulator.NewMastodon(emulator.MastodonOptions{SimulateEngagement: true}),
		Bluesky:  emulator.NewBluesky(emulator.BlueskyOptions{SimulateEngagement: true}),
		names:    map[string]string{},
	}
	e.X.SimulateEngagement(true)
	return e
}

// ServeHTTP sends a request to the API its path belongs to: /2/, /1.1/,
// /i/ (X's authorize page) and X's OAuth 1.0a endpoints to X; /api/ and
// the other /oauth/ paths to Mastodon; /xrpc/ to Bluesky; anything else
// (/v25.0/...) to the Graph API. Paths reach the emulations unchanged, so OAuth 1.0a
// signatures and paging links hold.
func (e *emulations) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/2/"), strings.HasPrefix(p, "/1.1/"), strings.HasPrefix(p, "/i/"),
		p == "/oauth/request_token", p == "/oauth/access_token",
		p == "/oauth/authorize" && r.URL.Query().Has("oauth_token"):
		e.X.ServeHTTP(w, r)
	case strings.HasPrefix(p, "/oauth/"):
		e.Mastodon.ServeHTTP(w, r)
	case strings.HasPrefix(p, "/api/"):
		e.Mastodon.ServeHTTP(w, r)
	case strings.HasPrefix(p, "/xrpc/"):
		e.Bluesky.ServeHTTP(w, r)
	default:
		e.Graph.ServeHTTP(w, r)
	}
}

// sandboxSecret gives the value of credential key of account id, which the
// configuration sets to have ("" when it does not).
type sandboxSecret func(id, key, have string) string

// freshSecret is a new random credential whatever the configuration says:
// the in-process sandbox's, never printed or stored.
func freshSecret(_, key, _ string) string {
	if key == "consumer_key" {
		return "sandbox-" + rand.Text()
	}
	return rand.Text()
}

// fixedSecret is the configuration's credential, else sandbox-ID-KEY (for
// x_main's consumer_key: sandbox-x_main-consumer_key): known in advance, so
// that `herald run` instances configured with them post to a shared `herald
// sandbox`. They open nothing but the sandbox.
func fixedSecret(id, key, have string) string {
	if have != "" {
		return have
	}
	return "sandbox-" + id + "-" + key
}

// sandboxAccount returns account a (the i-th of accountIDs, named id) with
// what the sandbox knows it by: its identity (the configuration's X user_id,
// Facebook page_id and Bluesky handle, else made up from i and id) and
// each credential its network needs, as secret gives it.
func sandboxAccount(i int, id string, a config.Account, secret sandboxSecret) config.Account {
	set := func(p *string, key string) { *p = secret(id, key, *p) }
	switch a.Network {
	case config.NetworkTwitter:
		if a.UserID == "" {
			a.UserID = strconv.Itoa(1_700_000_001 + i)
		}
		set(&a.ConsumerKey, "consumer_key")
		set(&a.ConsumerSecret, "consumer_secret")
		set(&a.AccessToken, "access_token")
		set(&a.AccessTokenSecret, "access_token_secret")
	case config.NetworkFacebook:
		if a.PageID == "" {
			a.PageID = strconv.Itoa(990_000_000_000_001 + i)
		}
		set(&a.PageAccessToken, "page_access_token")
	case config.NetworkMastodon:
		set(&a.AccessToken, "access_token")
	case config.NetworkBluesky:
		if a.Handle == "" {
			a.Handle = strings.ReplaceAll(id, "_", "-") + ".sandbox.test"
		}
		set(&a.AppPassword, "app_password")
	}
	return a
}

// register makes the emulation of s's network know account id by its
// sandbox identity s: an X user (OAuth 1.0a, and OAuth 2.0 when s has a
// client_id), a Page, a Mastodon account or a Bluesky account.
func (e *emulations) register(id string, s sandboxIdentity) {
	switch s.Network {
	case config.NetworkTwitter:
		e.X.AddUser(emulator.XUser{
			ID: s.UserID, Username: strings.ReplaceAll(id, "-", "_"), Name: id + " (sandbox)",
			ConsumerKey: s.ConsumerKey, ConsumerSecret: s.ConsumerSecret,
			AccessToken: s.AccessToken, AccessTokenSecret: s.AccessTokenSecret,
			ClientID: s.ClientID, ClientSecret: s.ClientSecret, RefreshToken: s.RefreshToken,
			V11Access: true,
		})
		e.names["x:"+s.UserID] = id
	case config.NetworkFacebook:
		e.Graph.AddPage(emulator.GraphPage{ID: s.PageID, Name: id + " (sandbox)", AccessToken: s.PageAccessToken,
			AppID: s.AppID, AppSecret: s.AppSecret})
		e.names["facebook:"+s.PageID] = id
	case config.NetworkMastodon:
		e.Mastodon.AddAccount(emulator.MastodonAccount{ID: s.MastodonID, Username: id, Token: s.AccessToken})
		e.names["mastodon:"+s.MastodonID] = id
	case config.NetworkBluesky:
		e.Bluesky.AddAccount(emulator.BlueskyAccount{DID: s.DID, Handle: s.Handle, AppPassword: s.AppPassword})
		e.names["bluesky:"+s.DID] = id
	}
}

// sandboxPost is one post an emulation received, as /sandbox/posts lists it.
type sandboxPost struct {
	Network   string    `json:"network"`
	Account   string    `json:"account"` // the configuration's account ID ("" when unknown)
	ID        string    `json:"id"`
	Text      string    `json:"text"`
	Link      string    `json:"link,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Deleted   bool      `json:"deleted"`
}

// posts lists every post the emulations received, network by network, each
// network's in the order received.
func (e *emulations) posts() []sandboxPost {
	out := []sandboxPost{}
	for _, p := range e.X.Posts() {
		link := ""
		if len(p.URLs) > 0 {
			link = p.URLs[0]
		}
		out = append(out, sandboxPost{Network: config.NetworkTwitter, Account: e.names["x:"+p.UserID], ID: p.ID,
			Text: p.Text, Link: link, CreatedAt: p.CreatedAt, Deleted: p.Deleted})
	}
	for _, p := range e.Graph.Posts() {
		out = append(out, sandboxPost{Network: config.NetworkFacebook, Account: e.names["facebook:"+p.PageID], ID: p.ID,
			Text: p.Message, Link: p.Link, CreatedAt: p.Created, Deleted: p.Deleted})
	}
	for _, p := range e.Mastodon.Posts() {
		out = append(out, sandboxPost{Network: config.NetworkMastodon, Account: e.names["mastodon:"+p.AccountID], ID: p.ID,
			Text: p.Text, Link: p.CardURL, CreatedAt: p.Created, Deleted: p.Deleted})
	}
	for _, p := range e.Bluesky.Posts() {
		link := ""
		if p.Embed != nil {
			link = p.Embed.URI
		}
		out = append(out, sandboxPost{Network: config.NetworkBluesky, Account: e.names["bluesky:"+p.DID], ID: p.URI,
			Text: p.Text, Link: link, CreatedAt: p.Indexed, Deleted: p.Deleted})
	}
	return out
}

// registered lists the accounts registered, by network, for the log.
func registered(cfg *config.Config) map[string][]string {
	out := map[string][]string{}
	for _, id := range accountIDs(cfg) {
		n := cfg.Accounts[id].Network
		out[n] = append(out[n], id)
	}
	return out
}

// sandbox is the sandbox of a `sandbox: true` process, so a fresh clone
// shows the whole flow (feed → posts → permalinks) without credentials and
// without reaching the real networks: the one another process of the
// installation serves (remote), or else one this process serves on
// loopback from the state file (see sandbox_state.go). Either way srv
// serves the shifted file:// feeds (see serveFileSources).
type sandbox struct {
	*emulations                // nil when remote
	served      *servedSandbox // nil when remote
	remote      string         // the URL of the sandbox another process serves
	srv         *httptest.Server
	feeds       sandboxFeeds
	log         *slog.Logger
}

// startSandbox, when cfg.Sandbox is set, finds the installation's sandbox
// or serves it, and writes each account's sandbox identity, credentials
// and base URL into cfg (in memory only: they are never printed; the state
// file, 0600, keeps them). A new account gets an X user, a Page, a
// Mastodon or a Bluesky account with fresh credentials. It logs where
// posts go. Without sandbox it does nothing and returns nil; Close on a
// nil *sandbox is a no-op, so callers may always defer it.
func startSandbox(cfg *config.Config, logger *slog.Logger) (*sandbox, error) {
	return startSandboxAs(cfg, logger, roleCommand)
}

// startDaemonSandbox is startSandbox for herald run, which does not post
// through a sandbox that a passing command serves: it waits for that
// command to end and then serves the sandbox itself.
func startDaemonSandbox(cfg *config.Config, logger *slog.Logger) (*sandbox, error) {
	return startSandboxAs(cfg, logger, roleDaemon)
}

func startSandboxAs(cfg *config.Config, logger *slog.Logger, role sandboxRole) (*sandbox, error) {
	if !cfg.Sandbox {
		return nil, nil
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx := context.Background()
	sb := &sandbox{log: logger}
	files, keep := sandboxFilesOf(cfg)
	var lockF *os.File
	if keep {
		f, remote, err := claimSandbox(ctx, files, role)
		if err != nil {
			return nil, err
		}
		if remote != "" {
			if err := joinSandbox(cfg, files, remote); err != nil {
				return nil, err
			}
			sb.remote = remote
			sb.srv = httptest.NewServer(sb.feeds.handler(http.NotFoundHandler()))
			logger.Info("SANDBOX: posts go to the sandbox another herald process serves on this machine, not to the real networks",
				"sandbox_api", remote, "accounts", registered(cfg))
			return sb, nil
		}
		lockF = f
	}
	served, st, err := newServedSandbox(cfg, files, keep, role)
	if err != nil {
		if lockF != nil {
			lockF.Close()
		}
		return nil, err
	}
	served.lockF, served.log = lockF, logger.Warn
	ln, err := listenSandbox(ctx, st.Addr)
	if err != nil {
		_ = served.release()
		return nil, err
	}
	sb.served, sb.emulations = served, served.emulations
	sb.srv = httptest.NewUnstartedServer(sb.feeds.handler(served.handler()))
	sb.srv.Listener.Close()
	sb.srv.Listener = ln
	sb.srv.Start()
	if err := served.announce(ln.Addr().String()); err != nil {
		sb.Close()
		return nil, err
	}
	for _, id := range accountIDs(cfg) {
		cfg.Accounts[id] = st.Accounts[id].apply(cfg.Accounts[id], sb.srv.URL)
	}
	state := files.state
	if !keep {
		state = "(memory only)"
	}
	logger.Info("SANDBOX: posts go to local emulations of X, Facebook, Mastodon and Bluesky on this machine, not to the real networks",
		"sandbox_api", sb.srv.URL, "state", state, "accounts", registered(cfg))
	return sb, nil
}

// pointAt returns a's base URLs with its own network's set to base.
func pointAt(a config.Account, base string) (x, graph, mastodon, bluesky string) {
	x, graph, mastodon, bluesky = a.APIBaseURL, a.GraphBaseURL, a.InstanceURL, a.PDSURL
	switch a.Network {
	case config.NetworkTwitter:
		x = base
	case config.NetworkFacebook:
		graph = base
	case config.NetworkMastodon:
		mastodon = base
	case config.NetworkBluesky:
		bluesky = base
	}
	return x, graph, mastodon, bluesky
}

// Close stops serving (nil: nothing to stop) and, when this process
// served the sandbox, keeps its state and lets another process serve it.
func (sb *sandbox) Close() {
	if sb == nil {
		return
	}
	sb.srv.Close()
	if err := sb.served.release(); err != nil {
		sb.log.Warn("sandbox: cannot keep its state", "error", err)
	}
}

// isLoopbackURL reports whether u is an http(s) URL on this machine.
func isLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	h := p.Hostname()
	ip := net.ParseIP(h)
	return h == "localhost" || (ip != nil && ip.IsLoopback())
}

// sandboxPublisher marks a sandbox account's posts as local: their
// permalinks point at the emulation rather than at x.com or facebook.com,
// where they do not exist.
// It also logs each post as the emulation received it, so the sandbox
// shows what would have gone out.
type sandboxPublisher struct {
	herald.Publisher
	base string // the emulation's URL
	log  *slog.Logger
}

func (s sandboxPublisher) local(r herald.Receipt) herald.Receipt {
	if u, err := url.Parse(r.Permalink); err == nil && u.Host != "" {
		r.Permalink = strings.TrimRight(s.base, "/") + u.EscapedPath()
		if u.RawQuery != "" {
			r.Permalink += "?" + u.RawQuery
		}
	}
	return r
}

func (s sandboxPublisher) Publish(ctx context.Context, m herald.Message) (herald.Receipt, error) {
	r, err := s.Publisher.Publish(ctx, m)
	r = s.local(r)
	if err == nil {
		s.log.Info("sandbox received a post", "network", string(s.Network()), "text", m.Text, "link", m.Link, "permalink", r.Permalink)
	}
	return r, err
}

func (s sandboxPublisher) FindPost(ctx context.Context, link string, since time.Time) (herald.Receipt, bool, int, error) {
	r, found, reads, err := s.Publisher.FindPost(ctx, link, since)
	return s.local(r), found, reads, err
}

package cli

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/apitest"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// sandbox is the in-process emulation of the X API and the Graph API that
// `sandbox: true` runs on loopback, so a fresh clone shows the whole flow
// (feed → posts → permalinks) without credentials and without reaching the
// real networks.
type sandbox struct {
	X        *apitest.X
	Graph    *apitest.Graph
	Mastodon *apitest.Mastodon // nil when no account is on Mastodon
	Bluesky  *apitest.Bluesky  // nil when no account is on Bluesky
	xsrv     *httptest.Server
	gsrv     *httptest.Server
	msrv     *httptest.Server
	bsrv     *httptest.Server
}

// startSandbox, when cfg.Sandbox is set, starts the X and Graph emulations
// on 127.0.0.1 with simulated engagement (and a Mastodon instance and a
// Bluesky PDS when an account needs one), registers an X user for every
// twitter account, a Page for every facebook account and an account for
// every mastodon and bluesky one, with freshly
// generated credentials, and writes those credentials and the emulations'
// URLs into cfg (in memory only: they are never printed or stored). It logs
// where posts go. Without sandbox it does nothing and returns nil; Close on
// a nil *sandbox is a no-op, so callers may always defer it.
func startSandbox(cfg *config.Config, logger *slog.Logger) (*sandbox, error) {
	if !cfg.Sandbox {
		return nil, nil
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	sb := &sandbox{}
	// The emulation's own limits stay (100 posts per 15 minutes per user),
	// so the sandbox behaves like X; its injected 429s reset after a second.
	sb.X, sb.xsrv = apitest.StartX(apitest.XOptions{})
	sb.Graph, sb.gsrv = apitest.StartGraph(apitest.GraphOptions{SimulateEngagement: true})
	sb.X.SimulateEngagement(true)

	var xs, fbs, ms, bs []string
	for i, id := range accountIDs(cfg) {
		a := cfg.Accounts[id]
		switch a.Network {
		case config.NetworkTwitter:
			u := apitest.XUser{
				ID: strconv.Itoa(1_700_000_001 + i), Username: strings.ReplaceAll(id, "-", "_"),
				Name: id + " (sandbox)", ConsumerKey: "sandbox-" + rand.Text(), ConsumerSecret: rand.Text(),
				AccessToken: rand.Text(), AccessTokenSecret: rand.Text(), V11Access: true,
			}
			sb.X.AddUser(u)
			// OAuth 1.0a whatever the account says: a stored OAuth 2.0 token
			// from an earlier run would mean nothing to a fresh emulation.
			a.Auth, a.APIBaseURL, a.UserID = "oauth1", sb.xsrv.URL, u.ID
			a.ConsumerKey, a.ConsumerSecret = u.ConsumerKey, u.ConsumerSecret
			a.AccessToken, a.AccessTokenSecret = u.AccessToken, u.AccessTokenSecret
			a.ClientID, a.ClientSecret, a.RefreshToken = "", "", ""
			xs = append(xs, id)
		case config.NetworkFacebook:
			p := apitest.GraphPage{
				ID: strconv.Itoa(990_000_000_000_001 + i), Name: id + " (sandbox)", AccessToken: rand.Text(),
				AppID: strconv.Itoa(880_000_000_000_001 + i), AppSecret: rand.Text(),
			}
			sb.Graph.AddPage(p)
			a.GraphBaseURL, a.PageID, a.PageAccessToken = sb.gsrv.URL, p.ID, p.AccessToken
			a.AppID, a.AppSecret = p.AppID, p.AppSecret
			fbs = append(fbs, id)
		case config.NetworkMastodon:
			if sb.Mastodon == nil {
				sb.Mastodon, sb.msrv = apitest.StartMastodon(apitest.MastodonOptions{SimulateEngagement: true})
			}
			m := apitest.MastodonAccount{ID: strconv.Itoa(110_000_001 + i), Username: id, Token: rand.Text()}
			sb.Mastodon.AddAccount(m)
			a.InstanceURL, a.AccessToken = sb.msrv.URL, m.Token
			ms = append(ms, id)
		case config.NetworkBluesky:
			if sb.Bluesky == nil {
				sb.Bluesky, sb.bsrv = apitest.StartBluesky(apitest.BlueskyOptions{SimulateEngagement: true})
			}
			b := apitest.BlueskyAccount{DID: "did:plc:sandbox" + strconv.Itoa(i),
				Handle: strings.ReplaceAll(id, "_", "-") + ".sandbox.test", AppPassword: rand.Text()}
			sb.Bluesky.AddAccount(b)
			a.PDSURL, a.Handle, a.AppPassword = sb.bsrv.URL, b.Handle, b.AppPassword
			bs = append(bs, id)
		}
		cfg.Accounts[id] = a
	}
	attrs := []any{"x_api", sb.xsrv.URL, "graph_api", sb.gsrv.URL, "x_accounts", xs, "facebook_pages", fbs}
	if sb.msrv != nil {
		attrs = append(attrs, "mastodon_api", sb.msrv.URL, "mastodon_accounts", ms)
	}
	if sb.bsrv != nil {
		attrs = append(attrs, "bluesky_pds", sb.bsrv.URL, "bluesky_accounts", bs)
	}
	logger.Info("SANDBOX: posts go to local emulations of X and Facebook on this machine, not to the real networks", attrs...)
	return sb, nil
}

// Close stops the emulations (nil: nothing to stop).
func (sb *sandbox) Close() {
	if sb == nil {
		return
	}
	sb.xsrv.Close()
	sb.gsrv.Close()
	for _, srv := range []*httptest.Server{sb.msrv, sb.bsrv} {
		if srv != nil {
			srv.Close()
		}
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

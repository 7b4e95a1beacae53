package cli

// Wiring: how a command turns the configuration into working parts. The
// daemon's parts and the mapping of configuration keys onto their options
// live in internal/app; this file adds what only the command line knows:
// the sandbox and the publishers built over it.
//
//	sb, err := startSandbox(cfg, logger)          // sandbox: true only (nil otherwise); defer sb.Close()
//	st, err := a.OpenStore(ctx)                   // migrated, sources and accounts synced
//	st, done, err := a.openForNetworks(ctx, cfg)  // both; defer done()
//	pubs, err := buildPublishers(ctx, cfg, st, logger)  // account ID → herald.Publisher
//	st, pubs, done, err := a.openPublishers(ctx, cfg)   // all three; defer done()
//	d, err := app.New(app.Options{Config: cfg, Store: st, Publishers: pubs, ...})      // herald run
//	d, err := app.NewDispatcher(cfg, st, pubs, app.SenderOptions{...}, logger)         // post, repost
//
// One account alone: buildPublisher(cfg, id, st, logger) and
// buildComposer(id, cfg.Accounts[id]). accountIDs(cfg) lists the accounts in
// the order every part uses (sorted by ID). The wrappers below mark
// app.ConfigError as a configuration error (exit status 2).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/bluesky"
	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/facebook"
	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/mastodon"
	"github.com/heraldhq/herald/internal/netguard"
	"github.com/heraldhq/herald/internal/twitter"
)

// accountIDs returns the configured account IDs, sorted.
// openForNetworks starts the sandbox (sandbox: true only) and opens the
// store, for a command that calls the networks; done closes both.
func (a *App) openForNetworks(ctx context.Context, cfg *config.Config) (st herald.Store, done func(), err error) {
	sb, err := startSandbox(cfg, a.Logger())
	if err != nil {
		return nil, nil, err
	}
	if st, err = a.OpenStore(ctx); err != nil {
		sb.Close()
		return nil, nil, err
	}
	return st, func() { st.Close(); sb.Close() }, nil
}

// openPublishers is openForNetworks followed by buildPublishers over the
// store, for a command that talks to every account's network.
func (a *App) openPublishers(ctx context.Context, cfg *config.Config) (herald.Store, map[string]herald.Publisher, func(), error) {
	st, done, err := a.openForNetworks(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	pubs, err := buildPublishers(ctx, cfg, st, a.Logger())
	if err != nil {
		done()
		return nil, nil, nil, err
	}
	return st, pubs, done, nil
}

func accountIDs(cfg *config.Config) []string { return app.AccountIDs(cfg) }

// fromApp marks a configuration error found while building parts as such
// (exit status 2).
func fromApp(err error) error {
	var ce *app.ConfigError
	if errors.As(err, &ce) {
		return usageError(err)
	}
	return err
}

// buildPublishers returns a Publisher per configured account. Publishers do
// no I/O when built. With sandbox: true, startSandbox must have run first (it
// fills the credentials in); otherwise this fails rather than risk a real
// network. With publish.dry_run, an account whose
// credentials are missing gets a publisher that refuses every call, since a
// dry run never sends.
func buildPublishers(ctx context.Context, cfg *config.Config, store herald.Store, logger *slog.Logger) (map[string]herald.Publisher, error) {
	pubs := make(map[string]herald.Publisher, len(cfg.Accounts))
	for _, id := range accountIDs(cfg) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := buildPublisher(cfg, id, store, logger)
		if err != nil {
			return nil, err
		}
		pubs[id] = p
	}
	return pubs, nil
}

// buildPublisher returns the Publisher of account id. tokens keeps rotating
// OAuth 2.0 tokens and the credentials `accounts connect` stored (the store;
// nil where no store is open); errors name the account's key at fault.
func buildPublisher(cfg *config.Config, id string, tokens connectedStore, logger *slog.Logger) (herald.Publisher, error) {
	a, ok := cfg.Accounts[id]
	if !ok {
		return nil, notFoundErrorf("account %q is not configured (accounts: %s)", id, strings.Join(accountIDs(cfg), ", "))
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if tokens != nil && usesConnected(cfg, a) {
		return newConnectedPublisher(cfg, id, tokens, logger), nil
	}
	return buildNetworkPublisher(cfg, id, a, tokens, logger)
}

// buildNetworkPublisher returns the Publisher of account id with the
// credentials a holds.
func buildNetworkPublisher(cfg *config.Config, id string, a config.Account, tokens herald.TokenStore, logger *slog.Logger) (herald.Publisher, error) {
	timeout := cfg.Dispatch.Timeout
	var (
		p   herald.Publisher
		err error
	)
	switch a.Network {
	case config.NetworkTwitter:
		p, err = twitter.New(twitter.Config{
			AccountID: id, API: a.API, Auth: a.Auth, BaseURL: a.APIBaseURL, UserID: a.UserID,
			ConsumerKey: a.ConsumerKey, ConsumerSecret: a.ConsumerSecret,
			AccessToken: a.AccessToken, AccessTokenSecret: a.AccessTokenSecret,
			ClientID: a.ClientID, ClientSecret: a.ClientSecret, RefreshToken: a.RefreshToken,
			HTTPTimeout: timeout,
		}, tokens, logger)
	case config.NetworkFacebook:
		p, err = facebook.New(facebook.Config{
			AccountID: id, PageID: a.PageID, PageAccessToken: a.PageAccessToken,
			AppID: a.AppID, AppSecret: a.AppSecret,
			GraphBaseURL: a.GraphBaseURL, GraphVersion: a.GraphVersion, HTTPTimeout: timeout,
			RateLimitWait: a.RateLimitWait, BlockedWait: a.BlockedWait,
		}, logger)
	case config.NetworkMastodon:
		p, err = mastodon.New(mastodon.Config{
			AccountID: id, InstanceURL: a.InstanceURL, AccessToken: a.AccessToken,
			Visibility: a.Visibility, Language: a.Language, HTTPTimeout: timeout,
			RateLimitWait: a.RateLimitWait,
		}, logger)
	case config.NetworkBluesky:
		p, err = bluesky.New(bluesky.Config{
			AccountID: id, PDSURL: a.PDSURL, Handle: a.Handle, AppPassword: a.AppPassword,
			Language: a.Language, HTTPTimeout: timeout, RateLimitWait: a.RateLimitWait,
			ImageGuard: outboundGuard(cfg),
		}, tokens, logger)
	default:
		return nil, usageErrorf("accounts.%s.network: unknown network %q", id, a.Network)
	}
	if err != nil {
		if cfg.Publish.DryRun {
			return offlinePublisher{network: herald.Network(a.Network), reason: err.Error()}, nil
		}
		return nil, fmt.Errorf("accounts.%s: %w", id, err)
	}
	if cfg.Sandbox {
		// Never let a sandbox configuration reach a real network.
		base := a.APIBaseURL
		switch a.Network {
		case config.NetworkFacebook:
			base = a.GraphBaseURL
		case config.NetworkMastodon:
			base = a.InstanceURL
		case config.NetworkBluesky:
			base = a.PDSURL
		}
		if !isLoopbackURL(base) {
			return nil, fmt.Errorf("accounts.%s: sandbox is on but the sandbox was not started (startSandbox)", id)
		}
		p = sandboxPublisher{Publisher: p, base: base, log: logger.With("account", id)}
	}
	return p, nil
}

// offlinePublisher stands in for an account without credentials in a dry
// run: the dispatcher never calls it, and anything else is refused.
type offlinePublisher struct {
	network herald.Network
	reason  string
}

var _ herald.Publisher = offlinePublisher{}

func (o offlinePublisher) Network() herald.Network { return o.network }

func (o offlinePublisher) err(op string) error {
	return &herald.Error{Kind: herald.ErrPermanent, Network: o.network, Op: op,
		Message: "no usable credentials (publish.dry_run only): " + o.reason}
}

func (o offlinePublisher) Publish(context.Context, herald.Message) (herald.Receipt, error) {
	return herald.Receipt{}, o.err("create post")
}

func (o offlinePublisher) FindPost(context.Context, string, time.Time) (herald.Receipt, bool, int, error) {
	return herald.Receipt{}, false, 0, o.err("find post")
}

func (o offlinePublisher) Engagement(context.Context, []string) (map[string]herald.Engagement, []string, error) {
	return nil, nil, o.err("read engagement")
}

func (o offlinePublisher) Delete(context.Context, string) error { return o.err("delete post") }

func (o offlinePublisher) Check(context.Context) (herald.Identity, error) {
	return herald.Identity{}, o.err("check")
}

// buildComposers returns each account's composer; see app.Composers.
func buildComposers(cfg *config.Config) (map[string]*compose.Composer, error) {
	c, err := app.Composers(cfg)
	return c, fromApp(err)
}

// buildComposer returns the composer of one account.
func buildComposer(id string, a config.Account) (*compose.Composer, error) {
	c, err := app.Composer(id, a)
	return c, fromApp(err)
}

// shortBase is the base of short links, "" when they are off.
func shortBase(cfg *config.Config) string { return app.ShortBase(cfg) }

// composeFunc is the dispatcher's Compose for an account; see app.ComposeFunc.
func composeFunc(c *compose.Composer, shortBase string) func(herald.Article, herald.Job) (herald.Message, error) {
	return app.ComposeFunc(c, shortBase)
}

// buildDispatchAccounts returns the dispatcher's view of every account; see
// app.DispatchAccounts.
func buildDispatchAccounts(cfg *config.Config, pubs map[string]herald.Publisher, composers map[string]*compose.Composer, shortBase string) ([]dispatch.Account, error) {
	a, err := app.DispatchAccounts(cfg, pubs, composers, shortBase)
	return a, fromApp(err)
}

// dispatchOptions maps the dispatch and publish keys onto the dispatcher's
// options; see app.DispatchOptions.
func dispatchOptions(cfg *config.Config, metrics *dispatch.Metrics) dispatch.Options {
	return app.DispatchOptions(cfg, metrics)
}

// feedOptions maps the sources, feed and publish keys onto the poller's
// options; see app.FeedOptions.
func feedOptions(cfg *config.Config, onNew func(herald.Article)) feed.Options {
	return app.FeedOptions(cfg, onNew)
}

// outboundGuard is the outbound policy for content's destinations; see
// app.OutboundGuard.
func outboundGuard(cfg *config.Config) netguard.Guard { return app.OutboundGuard(cfg) }

// syncAccounts records the configured accounts in the store (those already
// there keep their state: pauses, holds, tokens). OpenStore does it already;
// a command holding a store opened otherwise calls this.
func syncAccounts(ctx context.Context, store herald.Store, cfg *config.Config) error {
	accounts := make([]herald.Account, 0, len(cfg.Accounts))
	for _, id := range accountIDs(cfg) {
		accounts = append(accounts, herald.Account{ID: id, Network: herald.Network(cfg.Accounts[id].Network)})
	}
	if err := store.SyncAccounts(ctx, accounts); err != nil {
		return fmt.Errorf("sync accounts: %w", err)
	}
	return nil
}

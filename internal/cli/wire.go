package cli

// Wiring: how a command turns the configuration into working parts. Every
// command that posts, previews, checks or runs builds them the same way:
//
//	sb, err := startSandbox(cfg, logger)          // sandbox: true only (nil otherwise); defer sb.Close()
//	st, err := a.OpenStore(ctx)                   // migrated, sources and accounts synced
//	pubs, err := buildPublishers(ctx, cfg, st, logger)  // account ID → herald.Publisher
//	comps, err := buildComposers(cfg)                    // account ID → *compose.Composer
//	accts, err := buildDispatchAccounts(cfg, pubs, comps, shortBase(cfg))
//	d, err := dispatch.New(st, accts, dispatchOptions(cfg, metrics), logger)
//	p := feed.New(st, feedOptions(cfg, onNew), logger)
//	c := rank.NewCollector(st, rankAccounts(cfg, pubs), rankOptions(cfg), logger) // in run.go
//
// One account alone: buildPublisher(cfg, id, st, logger) and
// buildComposer(id, cfg.Accounts[id]); composeFunc(c, shortBase(cfg)) is the
// dispatcher's Compose for it. accountIDs(cfg) lists the accounts in the
// order every part uses (sorted by ID).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/bluesky"
	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/facebook"
	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/mastodon"
	"github.com/heraldhq/herald/internal/twitter"
)

// accountIDs returns the configured account IDs, sorted: the order in which
// accounts are built, dispatched and shown.
func accountIDs(cfg *config.Config) []string {
	return slices.Sorted(maps.Keys(cfg.Accounts))
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
// OAuth 2.0 tokens (the store); errors name the account's key at fault.
func buildPublisher(cfg *config.Config, id string, tokens herald.TokenStore, logger *slog.Logger) (herald.Publisher, error) {
	a, ok := cfg.Accounts[id]
	if !ok {
		return nil, usageErrorf("account %q is not configured (accounts: %s)", id, strings.Join(accountIDs(cfg), ", "))
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cs, ok := tokens.(connectedStore); ok && usesConnected(cfg, a) {
		return newConnectedPublisher(cfg, id, cs, logger), nil
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

// buildComposers returns each account's composer (template, repost_template,
// hashtags, utm). A template that does not parse is an error naming its key.
func buildComposers(cfg *config.Config) (map[string]*compose.Composer, error) {
	out := make(map[string]*compose.Composer, len(cfg.Accounts))
	for _, id := range accountIDs(cfg) {
		c, err := buildComposer(id, cfg.Accounts[id])
		if err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, nil
}

// buildComposer returns the composer of one account.
func buildComposer(id string, a config.Account) (*compose.Composer, error) {
	c, err := compose.New(compose.Options{
		Network: herald.Network(a.Network), Template: a.Template, RepostTemplate: a.RepostTemplate,
		Hashtags: a.Hashtags, UTM: compose.UTM{Source: a.UTM.Source, Medium: a.UTM.Medium, Campaign: a.UTM.Campaign},
	})
	if err != nil {
		return nil, usageErrorf("accounts.%s: %w", id, err)
	}
	return c, nil
}

// shortBase is the base of short links (http.public_url) when shortlinks
// are on, and "" when they are off.
func shortBase(cfg *config.Config) string {
	if !cfg.Shortlinks {
		return ""
	}
	return cfg.HTTP.PublicURL
}

// composeFunc is the dispatcher's Compose for an account: the job's kind
// picks the template (a repost uses repost_template), the job's own Template
// or Text override it, and a short link replaces the article URL when the
// job has one and shortBase is set.
func composeFunc(c *compose.Composer, shortBase string) func(herald.Article, herald.Job) (herald.Message, error) {
	return func(a herald.Article, j herald.Job) (herald.Message, error) {
		m, err := c.Compose(a, compose.FromJob(&j, shortBase))
		m.IdempotencyKey = "herald-" + strconv.FormatInt(j.ArticleID, 10) + "-" + j.Account + "-" + strconv.Itoa(j.Seq)
		return m, err
	}
}

// buildDispatchAccounts returns the dispatcher's view of every account: its
// publisher and composer, spacing, daily cap, quiet hours in its time zone,
// and costs in Money. pubs and composers come from buildPublishers and
// buildComposers; shortBase from shortBase(cfg).
func buildDispatchAccounts(cfg *config.Config, pubs map[string]herald.Publisher, composers map[string]*compose.Composer, shortBase string) ([]dispatch.Account, error) {
	out := make([]dispatch.Account, 0, len(cfg.Accounts))
	for _, id := range accountIDs(cfg) {
		a := cfg.Accounts[id]
		pub, comp := pubs[id], composers[id]
		if pub == nil || comp == nil {
			return nil, fmt.Errorf("accounts.%s: no publisher or composer built", id)
		}
		if ls, ok := pub.(compose.LimitSource); ok { // a Mastodon instance's own limits
			comp.UseServerLimits(ls)
		}
		loc := time.UTC
		if a.Timezone != "" {
			l, err := time.LoadLocation(a.Timezone)
			if err != nil {
				return nil, usageErrorf("accounts.%s.timezone: %w", id, err)
			}
			loc = l
		}
		da := dispatch.Account{
			ID: id, Network: herald.Network(a.Network), Publisher: pub, Compose: composeFunc(comp, shortBase),
			MinInterval: a.MinInterval, DailyCap: a.DailyCap, Location: loc,
			Cost: dispatch.Cost{
				PostWithLink: dispatch.Dollars(a.Cost.PostWithLink), Post: dispatch.Dollars(a.Cost.Post),
				Read: dispatch.Dollars(a.Cost.Read), MonthlyBudget: dispatch.Dollars(a.Cost.MonthlyBudget),
			},
		}
		if q := a.QuietHours; q.Start != "" || q.End != "" {
			var err1, err2 error
			da.QuietStart, err1 = dispatch.ParseClock(q.Start)
			da.QuietEnd, err2 = dispatch.ParseClock(q.End)
			if err := errors.Join(err1, err2); err != nil {
				return nil, usageErrorf("accounts.%s.quiet_hours: %w", id, err)
			}
		}
		out = append(out, da)
	}
	return out, nil
}

// dispatchOptions maps the dispatch and publish keys onto the dispatcher's
// options: instance_id is the lease owner, publish.dry_run the dry run.
// Validate keeps dispatch.timeout below dispatch.lease, as the dispatcher
// requires. metrics may be nil.
func dispatchOptions(cfg *config.Config, metrics *dispatch.Metrics) dispatch.Options {
	d := cfg.Dispatch
	return dispatch.Options{
		Owner: d.InstanceID, Lease: d.Lease, Timeout: d.Timeout,
		MaxAttempts: d.MaxAttempts, RetryFor: d.RetryFor, Concurrency: d.Concurrency,
		ShutdownWait: d.ShutdownWait, DryRun: cfg.Publish.DryRun, Metrics: metrics,
		BackoffBase: d.BackoffBase, BackoffMax: d.BackoffMax,
		ReconcileDelay: d.ReconcileDelay, ReconcileWindow: d.ReconcileWindow,
		RateLimitWait: d.RateLimitWait,
	}
}

// feedOptions maps the sources, feed and publish keys onto the poller's
// options, with dispatch.instance_id as its lease owner and dispatch.lease
// as its lease. onNew (may be nil)
// is told of every article the poller announced.
func feedOptions(cfg *config.Config, onNew func(herald.Article)) feed.Options {
	srcs := make([]feed.SourceConfig, 0, len(cfg.Sources))
	for _, s := range cfg.Sources {
		filter, targets := sourceFilters(s)
		srcs = append(srcs, feed.SourceConfig{Name: s.Name, URL: s.URL, Interval: s.Interval,
			Targets: slices.Clone(s.Targets), WebSub: s.WebSub,
			Filter: filter, TargetFilters: targets, MaxNew: s.MaxNewPerPoll})
	}
	f := cfg.Feed
	return feed.Options{
		Sources: srcs, Timeout: f.Timeout, MaxBody: f.MaxBody, Concurrency: f.Concurrency,
		MaxAge: cfg.Publish.MaxAge, Backfill: cfg.Publish.Backfill,
		BreakingCategories: cfg.Publish.BreakingCategories, MaxBackoff: f.MaxBackoff,
		MaxNewPerPoll: cfg.Publish.MaxNewPerPoll,
		UserAgent:     f.UserAgent, OnNew: onNew,
		// A source claimed by an instance that crashed is taken over after
		// dispatch.lease, as its jobs are (the poller keeps it above twice
		// feed.timeout, so a slow poll keeps its source).
		Owner: cfg.Dispatch.InstanceID, Lease: cfg.Dispatch.Lease,
	}
}

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

package app

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/evergreen"
	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/push"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/web"
)

// ConfigError is a configuration value the parts cannot be built from (a
// template that does not parse, an unknown time zone); its message names
// the key at fault. Commands treat it as a configuration error (exit 2).
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func configErrorf(format string, args ...any) error {
	return &ConfigError{Err: fmt.Errorf(format, args...)}
}

// AccountIDs returns the configured account IDs, sorted: the order in which
// accounts are built, dispatched and shown.
func AccountIDs(cfg *config.Config) []string {
	return slices.Sorted(maps.Keys(cfg.Accounts))
}

// Composers returns each account's composer (template, repost_template,
// hashtags, utm).
func Composers(cfg *config.Config) (map[string]*compose.Composer, error) {
	out := make(map[string]*compose.Composer, len(cfg.Accounts))
	for _, id := range AccountIDs(cfg) {
		c, err := Composer(id, cfg.Accounts[id])
		if err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, nil
}

// Composer returns the composer of one account.
func Composer(id string, a config.Account) (*compose.Composer, error) {
	c, err := compose.New(compose.Options{
		Network: herald.Network(a.Network), Template: a.Template, RepostTemplate: a.RepostTemplate,
		Hashtags: a.Hashtags, UTM: compose.UTM{Source: a.UTM.Source, Medium: a.UTM.Medium, Campaign: a.UTM.Campaign},
	})
	if err != nil {
		return nil, configErrorf("accounts.%s: %w", id, err)
	}
	return c, nil
}

// ShortBase is the base of short links (http.public_url) when shortlinks
// are on, and "" when they are off.
func ShortBase(cfg *config.Config) string {
	if !cfg.Shortlinks {
		return ""
	}
	return cfg.HTTP.PublicURL
}

// ComposeFunc is the dispatcher's Compose for an account: the job's kind
// picks the template (a repost uses repost_template), the job's own Template
// or Text override it, and a short link replaces the article URL when the
// job has one and shortBase is set.
func ComposeFunc(c *compose.Composer, shortBase string) func(herald.Article, herald.Job) (herald.Message, error) {
	return func(a herald.Article, j herald.Job) (herald.Message, error) {
		m, err := c.Compose(a, compose.FromJob(&j, shortBase))
		m.IdempotencyKey = "herald-" + strconv.FormatInt(j.ArticleID, 10) + "-" + j.Account + "-" + strconv.Itoa(j.Seq)
		return m, err
	}
}

// accountLocation is account id's time zone: UTC when it names none.
func accountLocation(id string, a config.Account) (*time.Location, error) {
	if a.Timezone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(a.Timezone)
	if err != nil {
		return nil, configErrorf("accounts.%s.timezone: %w", id, err)
	}
	return loc, nil
}

// DispatchAccounts returns the dispatcher's view of every configured
// account: its publisher and composer, spacing, daily cap, quiet hours in
// its time zone, and costs in Money.
func DispatchAccounts(cfg *config.Config, pubs map[string]herald.Publisher, composers map[string]*compose.Composer, shortBase string) ([]dispatch.Account, error) {
	out := make([]dispatch.Account, 0, len(cfg.Accounts))
	for _, id := range AccountIDs(cfg) {
		a := cfg.Accounts[id]
		pub, comp := pubs[id], composers[id]
		if pub == nil || comp == nil {
			return nil, fmt.Errorf("accounts.%s: no publisher or composer built", id)
		}
		if ls, ok := pub.(compose.LimitSource); ok { // a Mastodon instance's own limits
			comp.UseServerLimits(ls)
		}
		loc, err := accountLocation(id, a)
		if err != nil {
			return nil, err
		}
		da := dispatch.Account{
			ID: id, Network: herald.Network(a.Network), Publisher: pub, Compose: ComposeFunc(comp, shortBase),
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
				return nil, configErrorf("accounts.%s.quiet_hours: %w", id, err)
			}
		}
		out = append(out, da)
	}
	return out, nil
}

// DispatchOptions maps the dispatch and publish keys onto the dispatcher's
// options: instance_id is the lease owner, publish.dry_run the dry run.
// Validate keeps dispatch.timeout below dispatch.lease, as the dispatcher
// requires. metrics may be nil.
func DispatchOptions(cfg *config.Config, metrics *dispatch.Metrics) dispatch.Options {
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

// FeedOptions maps the sources, feed and publish keys onto the poller's
// options, with dispatch.instance_id as its lease owner and dispatch.lease
// as its lease. onNew (may be nil) is told of every article the poller
// announced.
func FeedOptions(cfg *config.Config, onNew func(herald.Article)) feed.Options {
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
		UserAgent:     f.UserAgent, OnNew: onNew, Guard: OutboundGuard(cfg), Rules: reviewRules(cfg),
		// A source claimed by an instance that crashed is taken over after
		// dispatch.lease, as its jobs are (the poller keeps it above twice
		// feed.timeout, so a slow poll keeps its source).
		Owner: cfg.Dispatch.InstanceID, Lease: cfg.Dispatch.Lease,
	}
}

// WebhookOptions maps the http and publish keys onto the webhook's options;
// wake is told when jobs were created.
func WebhookOptions(cfg *config.Config, wake func()) web.WebhookOptions {
	sections := make(map[string][]string, len(cfg.Sources))
	for _, s := range cfg.Sources {
		sections[s.Name] = slices.Clone(s.Targets)
	}
	return web.WebhookOptions{
		Secret: cfg.HTTP.WebhookSecret, Targets: cfg.HTTP.WebhookTargets, Accounts: AccountIDs(cfg),
		Sections: sections, BreakingCategories: cfg.Publish.BreakingCategories, MaxAge: cfg.Publish.MaxAge,
		Rules: webhookRules(cfg), OnNew: wake,
	}
}

// PushSources is the sources as the WebSub subscriber needs them.
func PushSources(cfg *config.Config) []push.SourceConfig {
	out := make([]push.SourceConfig, 0, len(cfg.Sources))
	for _, s := range cfg.Sources {
		out = append(out, push.SourceConfig{Name: s.Name, URL: s.URL, WebSub: s.WebSub})
	}
	return out
}

// RankAccounts returns the collector's view of the accounts: each with its
// publisher and what the network bills to read one post.
func RankAccounts(cfg *config.Config, pubs map[string]herald.Publisher) []rank.Account {
	out := make([]rank.Account, 0, len(cfg.Accounts))
	for _, id := range slices.Sorted(maps.Keys(pubs)) {
		a := cfg.Accounts[id]
		out = append(out, rank.Account{ID: id, Network: herald.Network(a.Network), Publisher: pubs[id],
			ReadCost: dispatch.Dollars(a.Cost.Read)})
	}
	return out
}

// RankOptions maps the ranking keys onto the collector's options, with
// dispatch.instance_id as its lock owner.
func RankOptions(cfg *config.Config) rank.Options {
	return rank.Options{Interval: cfg.Ranking.CollectInterval, CollectFor: cfg.Ranking.CollectFor,
		Owner: cfg.Dispatch.InstanceID}
}

// DashboardOptions maps http.admin_token, ranking.weights and shortlinks
// onto the reporting routes (dashboard, /api/popular, widget, /s/{code}). A
// short link leads to the article URL tagged with its account's UTM
// parameters.
func DashboardOptions(cfg *config.Config, comps map[string]*compose.Composer) web.DashboardOptions {
	return web.DashboardOptions{
		AdminToken:    cfg.HTTP.AdminToken,
		PublicMetrics: cfg.HTTP.PublicMetrics,
		MaxSince:      cfg.Ranking.CollectFor,
		Weights:       rank.WeightsFrom(cfg.Ranking.Weights),
		Shortlinks:    cfg.Shortlinks,
		ShortlinkTarget: func(j herald.Job) string {
			if c := comps[j.Account]; c != nil && j.Article != nil {
				return c.TagURL(j.Article.URL)
			}
			return ""
		},
	}
}

// EvergreenCriteria is the evergreen selection as configured: the
// evergreen keys, the time-bound sources and the ranking weights.
func EvergreenCriteria(cfg *config.Config) evergreen.Criteria {
	e := cfg.Evergreen
	c := evergreen.Criteria{Count: e.Count, Since: e.Since, By: e.By, MinAge: e.MinAge, MinGap: e.MinGap,
		ExcludeSections: slices.Clone(e.ExcludeSections), Weights: rank.WeightsFrom(cfg.Ranking.Weights)}
	for _, s := range cfg.Sources {
		if s.TimeBound {
			c.TimeBound = append(c.TimeBound, s.Name)
		}
	}
	return c
}

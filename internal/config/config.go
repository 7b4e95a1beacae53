// Package config is the only user of viper: it reads defaults, the YAML file,
// HERALD_* environment variables and flags into a typed Config and validates
// it, naming the key at fault.
package config

import "time"

// Config is Herald's whole configuration. Keys (yaml/mapstructure names) are
// the public contract documented in configs/herald.example.yaml. Fields tagged
// secret:"true" are hidden by Redacted.
type Config struct {
	Database   Database           `mapstructure:"database"`
	HTTP       HTTP               `mapstructure:"http"`
	Publish    Publish            `mapstructure:"publish"`
	Feed       Feed               `mapstructure:"feed"`
	Dispatch   Dispatch           `mapstructure:"dispatch"`
	Ranking    Ranking            `mapstructure:"ranking"`
	Evergreen  Evergreen          `mapstructure:"evergreen"`
	Log        Log                `mapstructure:"log"`
	Secrets    Secrets            `mapstructure:"secrets"`
	Connect    Connect            `mapstructure:"connect"`
	Sandbox    bool               `mapstructure:"sandbox"`
	Shortlinks bool               `mapstructure:"shortlinks"`
	Sources    []Source           `mapstructure:"sources"`
	Accounts   map[string]Account `mapstructure:"accounts"`
	Notify     Notify             `mapstructure:"notify"`

	// File is the configuration file that was read ("" when none was).
	File string `mapstructure:"-"`
}

// Connect tunes `herald accounts connect`.
type Connect struct {
	// CallbackPort is the loopback port of the redirect URL
	// http://127.0.0.1:PORT/callback registered in the networks' apps.
	CallbackPort int `mapstructure:"callback_port"`
}

// Database selects the store: "sqlite:path" or "postgres://...".
type Database struct {
	URL string `mapstructure:"url"`
}

// HTTP configures Herald's server.
type HTTP struct {
	Addr          string `mapstructure:"addr"`
	PublicURL     string `mapstructure:"public_url"`
	WebhookSecret string `mapstructure:"webhook_secret" secret:"true"` // secret
	// WebhookTargets are the accounts a webhook article goes to when it names none (default: all).
	WebhookTargets []string `mapstructure:"webhook_targets"`
	AdminToken     string   `mapstructure:"admin_token" secret:"true"` // secret
	// PublicMetrics serves /metrics and /readyz without the admin token when
	// addr listens beyond loopback.
	PublicMetrics bool `mapstructure:"public_metrics"`
}

// Publish holds what decides whether and when a story is posted.
type Publish struct {
	DryRun             bool          `mapstructure:"dry_run"`
	MaxAge             time.Duration `mapstructure:"max_age"`
	Backfill           int           `mapstructure:"backfill"`
	BreakingCategories []string      `mapstructure:"breaking_categories"`
	// MaxNewPerPoll caps the new stories one poll or push of a source
	// posts; the others are recorded skipped ("flood"). 0: no limit.
	MaxNewPerPoll int `mapstructure:"max_new_per_poll"`
	// ReviewTimeout: a post held for review (review: true) that nobody
	// approved or rejected for this long is sent, or dropped, as
	// ReviewTimeoutAction ("send" or "drop") says. 0: held until reviewed.
	ReviewTimeout       time.Duration `mapstructure:"review_timeout"`
	ReviewTimeoutAction string        `mapstructure:"review_timeout_action"`
}

// Feed tunes the poller.
type Feed struct {
	Timeout     time.Duration `mapstructure:"timeout"`
	MaxBody     int64         `mapstructure:"max_body"`
	Concurrency int           `mapstructure:"concurrency"`
	UserAgent   string        `mapstructure:"user_agent"`
	MaxBackoff  time.Duration `mapstructure:"max_backoff"`
	// AllowPrivateNetworks lets destinations that come from content (feed
	// redirects, item images, WebSub hubs) be internal addresses, and hubs
	// plain http. Off, only a source whose configured URL is itself on an
	// internal network may reach one.
	AllowPrivateNetworks bool `mapstructure:"allow_private_networks"`
}

// Dispatch tunes the outbox worker.
type Dispatch struct {
	InstanceID   string        `mapstructure:"instance_id"` // default: hostname-pid
	Lease        time.Duration `mapstructure:"lease"`
	MaxAttempts  int           `mapstructure:"max_attempts"`
	RetryFor     time.Duration `mapstructure:"retry_for"`
	Concurrency  int           `mapstructure:"concurrency"`
	Timeout      time.Duration `mapstructure:"timeout"` // per API call; shorter than Lease
	ShutdownWait time.Duration `mapstructure:"shutdown_wait"`
	// BackoffBase is the first retry delay; it doubles up to BackoffMax.
	BackoffBase time.Duration `mapstructure:"backoff_base"`
	BackoffMax  time.Duration `mapstructure:"backoff_max"`
	// ReconcileDelay is how long after an unknown outcome the post is looked
	// for; ReconcileWindow how far before the attempt's start it may be.
	ReconcileDelay  time.Duration `mapstructure:"reconcile_delay"`
	ReconcileWindow time.Duration `mapstructure:"reconcile_window"`
	// RateLimitWait holds an account after a rate-limit answer that carries
	// no reset time (the networks' own fallbacks are per account).
	RateLimitWait time.Duration `mapstructure:"rate_limit_wait"`
}

// Ranking configures the engagement collector and the score.
type Ranking struct {
	CollectInterval time.Duration `mapstructure:"collect_interval"`
	CollectFor      time.Duration `mapstructure:"collect_for"`
	Weights         Weights       `mapstructure:"weights"`
}

// Weights of the score.
type Weights struct {
	Shares    float64 `mapstructure:"shares"`
	Comments  float64 `mapstructure:"comments"`
	Reactions float64 `mapstructure:"reactions"`
	Clicks    float64 `mapstructure:"clicks"`
}

// Evergreen configures scheduled resharing of the best performers.
type Evergreen struct {
	Schedule        string        `mapstructure:"schedule"` // cron; empty: off
	Count           int           `mapstructure:"count"`
	MinGap          time.Duration `mapstructure:"min_gap"`
	Since           time.Duration `mapstructure:"since"`
	By              string        `mapstructure:"by"`
	MinAge          time.Duration `mapstructure:"min_age"`
	ExcludeSections []string      `mapstructure:"exclude_sections"`
}

// Log configures log/slog.
type Log struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // auto, text, json
}

// Source is one feed.
type Source struct {
	Name     string        `mapstructure:"name"`
	URL      string        `mapstructure:"url"`
	Interval time.Duration `mapstructure:"interval"`
	Targets  []string      `mapstructure:"targets"`
	WebSub   bool          `mapstructure:"websub"`
	// TimeBound sections are never reshared by the evergreen schedule.
	TimeBound bool `mapstructure:"time_bound"`
	// Include and Exclude filter the source's stories for every target.
	Include Filter `mapstructure:"include"`
	Exclude Filter `mapstructure:"exclude"`
	// MaxNewPerPoll overrides publish.max_new_per_poll for this source
	// (0: keep it; -1: no limit).
	MaxNewPerPoll int `mapstructure:"max_new_per_poll"`
	// Review holds the source's posts until an editor approves them.
	Review bool `mapstructure:"review"`
	// TargetFilters are the filters of the targets written as mappings
	// ({account: x_main, exclude: {...}}), by account id.
	TargetFilters map[string]Target `mapstructure:"-"`
}

// Filter selects stories: by category, author or section (any listed,
// ignoring case) or by an RE2 pattern matching the title or the URL.
type Filter struct {
	Categories []string `mapstructure:"categories"`
	Authors    []string `mapstructure:"authors"`
	Sections   []string `mapstructure:"sections"`
	Title      []string `mapstructure:"title"`
	URL        []string `mapstructure:"url"`
}

// Target is an entry of a source's targets written as a mapping: an
// account with its own filter for the source.
type Target struct {
	Account string `mapstructure:"account"`
	Include Filter `mapstructure:"include"`
	Exclude Filter `mapstructure:"exclude"`
}

// Account is one social account. Secrets are marked; Redacted() hides them.
type Account struct {
	Network string `mapstructure:"network"` // twitter, facebook, mastodon, bluesky

	// X
	API               string `mapstructure:"api"`  // v2 (default) or v1.1
	Auth              string `mapstructure:"auth"` // oauth1 (default) or oauth2
	APIBaseURL        string `mapstructure:"api_base_url"`
	UserID            string `mapstructure:"user_id"` // optional; looked up with /2/users/me
	ConsumerKey       string `mapstructure:"consumer_key"`
	ConsumerSecret    string `mapstructure:"consumer_secret" secret:"true"`     // secret
	AccessToken       string `mapstructure:"access_token" secret:"true"`        // secret
	AccessTokenSecret string `mapstructure:"access_token_secret" secret:"true"` // secret
	ClientID          string `mapstructure:"client_id"`
	ClientSecret      string `mapstructure:"client_secret" secret:"true"` // secret
	RefreshToken      string `mapstructure:"refresh_token" secret:"true"` // secret

	// Facebook
	GraphBaseURL    string `mapstructure:"graph_base_url"`
	GraphVersion    string `mapstructure:"graph_version"`
	PageID          string `mapstructure:"page_id"`
	PageAccessToken string `mapstructure:"page_access_token" secret:"true"` // secret
	AppID           string `mapstructure:"app_id"`
	AppSecret       string `mapstructure:"app_secret" secret:"true"` // secret

	// Mastodon
	InstanceURL string `mapstructure:"instance_url"`
	Visibility  string `mapstructure:"visibility"`
	Language    string `mapstructure:"language"`

	// Bluesky (AccessToken-free: handle + app password)
	PDSURL      string `mapstructure:"pds_url"`
	Handle      string `mapstructure:"handle"`
	AppPassword string `mapstructure:"app_password" secret:"true"` // secret

	// Composition
	Template       string `mapstructure:"template"`
	RepostTemplate string `mapstructure:"repost_template"`
	Hashtags       int    `mapstructure:"hashtags"`
	UTM            UTM    `mapstructure:"utm"`

	// Pacing
	MinInterval time.Duration `mapstructure:"min_interval"`
	DailyCap    int           `mapstructure:"daily_cap"`
	QuietHours  QuietHours    `mapstructure:"quiet_hours"`
	Timezone    string        `mapstructure:"timezone"`
	// RateLimitWait is how long a throttled account waits when the network
	// gives no reset time (facebook, mastodon, bluesky).
	RateLimitWait time.Duration `mapstructure:"rate_limit_wait"`
	// BlockedWait is the least a temporarily blocked page waits (facebook).
	BlockedWait time.Duration `mapstructure:"blocked_wait"`

	Cost Cost `mapstructure:"cost"`

	// Review holds the account's posts until an editor approves them.
	Review bool `mapstructure:"review"`

	Digest Digest `mapstructure:"digest"`
}

// Notify sends alerts (an account paused, a post failed or held, a cap
// reached, a token expiring, a feed failing) to outgoing webhooks.
type Notify struct {
	// Interval is how often the state is looked at. Default: 30s.
	Interval time.Duration `mapstructure:"interval"`
	// FeedFailingFor is how long a feed fails before it is an alert.
	FeedFailingFor time.Duration `mapstructure:"feed_failing_for"`
	// TokenWarning is how long before a token expires it is an alert.
	TokenWarning time.Duration `mapstructure:"token_warning"`
	Webhooks     []Webhook     `mapstructure:"webhooks"`
}

// Webhook is one outgoing alert webhook. Format "slack" (also Mattermost:
// {"text": ...}) or "json" (an event object, signed with Secret by
// HMAC-SHA256 in the X-Herald-Signature header).
type Webhook struct {
	URL    string `mapstructure:"url" secret:"true"` // secret: Slack's URL is its key
	Format string `mapstructure:"format"`
	Secret string `mapstructure:"secret" secret:"true"` // secret
}

// UTM parameters added to links.
type UTM struct {
	Source   string `mapstructure:"source"`
	Medium   string `mapstructure:"medium"`
	Campaign string `mapstructure:"campaign"`
}

// QuietHours is a daily window ("22:00" to "06:30", in the account's
// timezone) during which posts are held.
type QuietHours struct {
	Start string `mapstructure:"start"`
	End   string `mapstructure:"end"`
}

// Cost is what the network bills per call, in dollars; MonthlyBudget 0 means none.
type Cost struct {
	PostWithLink  float64 `mapstructure:"post_with_link"`
	Post          float64 `mapstructure:"post"`
	Read          float64 `mapstructure:"read"`
	MonthlyBudget float64 `mapstructure:"monthly_budget"`
}

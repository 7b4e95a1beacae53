package feed

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/netguard"
)

// Defaults of Options.
const (
	DefaultInterval      = 5 * time.Minute
	DefaultTimeout       = 20 * time.Second
	DefaultMaxBody       = 10 << 20 // 10 MiB
	DefaultConcurrency   = 32
	DefaultMaxAge        = 48 * time.Hour
	DefaultMaxBackoff    = time.Hour
	DefaultLease         = 2 * time.Minute
	DefaultJitter        = 0.10
	DefaultPushInterval  = 30 * time.Minute
	DefaultShutdownGrace = 3 * time.Second
	DefaultUserAgent     = "Herald/1.0 (+https://github.com/heraldhq/herald)"
	// MaxSummary is the length, in characters, summaries are cut to.
	MaxSummary = 1000
)

// SourceConfig is one configured feed.
type SourceConfig struct {
	Name string
	// URL is http(s):// or file://. A file URL is absolute with three slashes
	// (file:///srv/feeds/a.xml) and relative to the working directory
	// otherwise (file://testdata/feeds/sample.xml, file:testdata/sample.xml).
	URL      string
	Interval time.Duration // 0: DefaultInterval
	Targets  []string      // account IDs new articles are posted to
	// TargetFilters are the filters of some targets for this source, by
	// account ID; Filter is the source's own (nil: none).
	TargetFilters map[string]*herald.Filter
	Filter        *herald.Filter
	// MaxNew overrides Options.MaxNewPerPoll for this source (0: keep it;
	// negative: no limit).
	MaxNew int
	// WebSub: the source may be push-fed; while its subscription is active it
	// is polled every Options.PushInterval only.
	WebSub bool
}

// Options configures a Poller. Zero values take the defaults above.
type Options struct {
	Sources []SourceConfig
	// Timeout bounds one fetch as a whole: connecting, waiting for the answer
	// and reading the body. A body arriving slower than MinBodyRate after a
	// quarter of Timeout is cut short too.
	Timeout time.Duration
	// MaxBody caps a feed's size in bytes (after decompression); a larger
	// feed is an error and is not read further.
	MaxBody int64
	// Concurrency bounds the polls in flight.
	Concurrency int
	// MaxAge: items published longer ago than this when first seen are
	// recorded as stale and never announced (publish.max_age).
	MaxAge time.Duration
	// Backfill: on a feed's first sight, announce its newest Backfill items
	// (publish.backfill); the rest of the backlog is recorded as seen.
	Backfill int
	// BreakingCategories: an item with one of these categories (compared
	// case-insensitively) is announced with herald.PriorityBreaking.
	BreakingCategories []string
	// MaxNewPerPoll caps the new stories one poll or push of a source
	// posts (publish.max_new_per_poll; 0: no limit): the newest are posted,
	// the others recorded skipped (herald.SkipFlood).
	MaxNewPerPoll int
	// MaxBackoff caps the delay after consecutive failures.
	MaxBackoff time.Duration
	// PushInterval is the polling interval of a WebSub source whose
	// subscription is active (polling is then only a safety net).
	PushInterval time.Duration
	UserAgent    string
	// Owner names this instance in source leases; Lease is how long a claimed
	// source stays reserved to it (at least twice Timeout).
	Owner string
	Lease time.Duration
	// Jitter spreads polls: each interval is varied by up to ± this fraction
	// (0: DefaultJitter; negative: none).
	Jitter float64
	// ShutdownGrace is how long Run lets in-flight polls finish once its
	// context is cancelled, before it interrupts them.
	ShutdownGrace time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// HTTPClient replaces the clients built from the options (and their
	// outbound policy).
	HTTPClient *http.Client
	// Guard is the outbound policy of fetches, redirects included: public
	// addresses only unless Guard.AllowPrivate (feed.allow_private_networks)
	// or the source's configured URL is itself on an internal network.
	Guard netguard.Guard
	// OnNew is called (from the polling goroutine) for each announced
	// article that is new to the store or got post jobs: the next stage is
	// woken through it.
	OnNew func(herald.Article)
	// Rules, when set, completes a source's intake rules (review).
	Rules func(source string, base herald.IntakeRules) herald.IntakeRules
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.PushInterval <= 0 {
		o.PushInterval = DefaultPushInterval
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	o.Lease = max(o.Lease, 2*o.Timeout)
	if o.Jitter < 0 {
		o.Jitter = 0
	} else if o.Jitter == 0 {
		o.Jitter = DefaultJitter
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = DefaultShutdownGrace
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

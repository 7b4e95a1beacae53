package config

import (
	"fmt"
	"reflect"
	"runtime/debug"
	"time"

	"github.com/heraldhq/herald/internal/lease"
)

// DefaultPath is the configuration file read when none is given.
const DefaultPath = "configs/herald.yaml"

// DefaultSourceInterval is how often a source is polled when it sets no interval.
const DefaultSourceInterval = 2 * time.Minute

// Networks Herald can publish to.
const (
	NetworkTwitter  = "twitter"
	NetworkFacebook = "facebook"
	NetworkMastodon = "mastodon"
	NetworkBluesky  = "bluesky"
)

// Default returns the configuration used for every key the file and the
// environment leave out. It has no sources and no accounts.
func Default() *Config {
	return &Config{
		Database: Database{URL: "sqlite:data/herald.db"},
		HTTP: HTTP{
			Addr:      "127.0.0.1:8080",
			PublicURL: "http://127.0.0.1:8080",
		},
		Publish: Publish{MaxAge: 48 * time.Hour, MaxNewPerPoll: 10, ReviewTimeoutAction: "send"},
		Notify:  Notify{Interval: 30 * time.Second, FeedFailingFor: time.Hour, TokenWarning: 7 * 24 * time.Hour},
		Feed: Feed{
			Timeout:     20 * time.Second,
			MaxBody:     10 << 20,
			Concurrency: 32,
			UserAgent:   UserAgent(buildVersion()),
			MaxBackoff:  time.Hour,
		},
		Dispatch: Dispatch{
			InstanceID:   lease.DefaultOwner(),
			Lease:        30 * time.Second,
			MaxAttempts:  8,
			RetryFor:     24 * time.Hour,
			Concurrency:  8,
			Timeout:      15 * time.Second,
			ShutdownWait: 10 * time.Second,

			BackoffBase:     30 * time.Second,
			BackoffMax:      30 * time.Minute,
			ReconcileDelay:  5 * time.Second,
			ReconcileWindow: time.Minute,
			RateLimitWait:   time.Minute,
		},
		Ranking: Ranking{
			CollectInterval: 15 * time.Minute,
			CollectFor:      7 * 24 * time.Hour,
			Weights:         Weights{Shares: 3, Comments: 2, Reactions: 1, Clicks: 1},
		},
		Evergreen: Evergreen{
			Count:  1,
			MinGap: 30 * 24 * time.Hour,
			Since:  30 * 24 * time.Hour,
			By:     "score",
			MinAge: 72 * time.Hour,
		},
		Log:     Log{Level: "info", Format: "auto"},
		Connect: Connect{CallbackPort: 8765},
	}
}

// DefaultAccount returns the defaults of an account on network: the X and
// Graph endpoints and versions, UTC, X's prices, and
// the waits of a throttled or blocked account when the network names no
// time (the publishers' own defaults).
func DefaultAccount(network string) Account {
	a := Account{
		Network:  network,
		Timezone: "UTC",
		// No RepostTemplate: an empty one is the network's own (compose), so
		// Facebook's repost keeps its link beside the message, not in it.
	}
	switch network {
	case NetworkTwitter:
		a.API = "v2"
		a.Auth = "oauth1"
		a.APIBaseURL = "https://api.x.com"
		a.Cost = Cost{PostWithLink: 0.20, Post: 0.015, Read: 0.005}
	case NetworkFacebook:
		a.GraphBaseURL = "https://graph.facebook.com"
		a.GraphVersion = "v25.0"
		a.RateLimitWait = 15 * time.Minute
		a.BlockedWait = time.Hour
	case NetworkMastodon, NetworkBluesky:
		a.RateLimitWait = 5 * time.Minute
	}
	return a
}

// UserAgent is the User-Agent Herald sends when fetching feeds.
func UserAgent(version string) string {
	return fmt.Sprintf("Herald/%s (+https://github.com/heraldhq/herald)", version)
}

// buildVersion is the main module's version as the Go toolchain stamped it.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// applyAccountDefaults fills the keys an account in raw form leaves out.
// Working on the raw mapping keeps an explicit zero (cost.post: 0) apart
// from a missing key.
func applyAccountDefaults(raw map[string]any) {
	network, _ := raw["network"].(string)
	defaults := make(map[string]any)
	leafValues(reflect.ValueOf(DefaultAccount(network)), "", defaults)
	for key, v := range defaults {
		if !hasPath(raw, key) {
			setPath(raw, key, v)
		}
	}
}

// applySourceDefaults fills the keys a source in raw form leaves out.
func applySourceDefaults(raw map[string]any) {
	if !hasPath(raw, "interval") {
		raw["interval"] = DefaultSourceInterval
	}
}

package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

const envBase = `
sources:
  - {name: world, url: "https://example.com/world.xml", targets: [x, x_main]}
  - {name: sports, url: "https://example.com/sports.xml", targets: [fb-page]}
accounts:
  x: {network: twitter, consumer_key: ck, consumer_secret: cs, access_token: file-token, access_token_secret: ats}
  x_main: {network: twitter, consumer_key: ck2, consumer_secret: cs2, access_token_secret: ats2}
  fb-page: {network: facebook, page_id: "1"}
`

func TestEnvOverrides(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, envBase)
	env := map[string]string{
		"HERALD_DATABASE_URL":                        "sqlite:/data/herald.db",
		"HERALD_HTTP_WEBHOOK_SECRET":                 "hook-secret-0123456789abcdef",
		"HERALD_PUBLISH_DRY_RUN":                     "true",
		"HERALD_PUBLISH_BACKFILL":                    "4",
		"HERALD_PUBLISH_BREAKING_CATEGORIES":         "Breaking, Live",
		"HERALD_FEED_TIMEOUT":                        "5s",
		"HERALD_RANKING_WEIGHTS_SHARES":              "2.5",
		"HERALD_SANDBOX":                             "1",
		"HERALD_LOG_LEVEL":                           "warn",
		"HERALD_ACCOUNTS_X_MAIN_ACCESS_TOKEN":        "env-token-main", // key absent from the file
		"HERALD_ACCOUNTS_X_ACCESS_TOKEN":             "env-token-x",    // overrides the file
		"HERALD_ACCOUNTS_X_COST_MONTHLY_BUDGET":      "25",
		"HERALD_ACCOUNTS_X_MAIN_QUIET_HOURS_START":   "22:00",
		"HERALD_ACCOUNTS_X_MAIN_QUIET_HOURS_END":     "06:00",
		"HERALD_ACCOUNTS_FB_PAGE_PAGE_ACCESS_TOKEN":  "fb-token", // id "fb-page"
		"HERALD_SOURCES_1_URL":                       "https://example.com/sport.xml",
		"HERALD_SOURCES_0_INTERVAL":                  "30s",
		"HERALD_SOURCES_1_TARGETS":                   "fb-page, x",
		"HERALD_TEST_POSTGRES_URL":                   "postgres://ignored", // not a key: ignored
		"HERALD_ACCOUNTS_X_MAIN_ACCESS_TOKEN_SECRET": "env-ats",
		"HERALD_DISPATCH_INSTANCE_ID":                "node-7",
		"HERALD_EVERGREEN_SCHEDULE":                  "0 9 * * *",
		"HERALD_HTTP_WEBHOOK_TARGETS":                "x_main",
		"HERALD_SHORTLINKS":                          "false",
		"HERALD_FEED_MAX_BODY":                       "1048576",
		"HERALD_ACCOUNTS_X_MAIN_TEMPLATE":            "{{.Title}}",
		"HERALD_ACCOUNTS_X_MAIN_HASHTAGS":            "3",
		"HERALD_ACCOUNTS_X_MAIN_MIN_INTERVAL":        "1m",
		"HERALD_ACCOUNTS_FB_PAGE_GRAPH_VERSION":      "v23.0",
		"HERALD_ACCOUNTS_X_MAIN_UTM_SOURCE":          "tw",
		"HERALD_ACCOUNTS_X_MAIN_API":                 "v1.1",
		"HERALD_ACCOUNTS_X_MAIN_COST_POST_WITH_LINK": "0",
		"HERALD_ACCOUNTS_X_MAIN_DAILY_CAP":           "12",
		"HERALD_ACCOUNTS_X_MAIN_TIMEZONE":            "Europe/Madrid",
		"HERALD_ACCOUNTS_X_MAIN_REPOST_TEMPLATE":     "Again: {{.Title}}",
		"HERALD_ACCOUNTS_X_MAIN_USER_ID":             "42",
		"HERALD_ACCOUNTS_X_MAIN_API_BASE_URL":        "http://127.0.0.1:9999",
		"HERALD_ACCOUNTS_X_MAIN_CONSUMER_KEY":        "env-ck",
		"HERALD_ACCOUNTS_X_MAIN_CONSUMER_SECRET":     "env-cs",
		"HERALD_ACCOUNTS_FB_PAGE_GRAPH_BASE_URL":     "http://127.0.0.1:9998/",
		"HERALD_ACCOUNTS_FB_PAGE_APP_SECRET":         "env-app-secret",
		"HERALD_ACCOUNTS_X_MAIN_QUIET_HOURS_UNKNOWN": "", // empty: ignored, as viper does
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg := mustLoadValid(t, path)
	x, xm, fb := cfg.Accounts["x"], cfg.Accounts["x_main"], cfg.Accounts["fb-page"]
	checks := []struct {
		name      string
		got, want any
	}{
		{"database.url", cfg.Database.URL, "sqlite:/data/herald.db"},
		{"http.webhook_secret", cfg.HTTP.WebhookSecret, "hook-secret-0123456789abcdef"},
		{"http.webhook_targets", strings.Join(cfg.HTTP.WebhookTargets, ","), "x_main"},
		{"publish.dry_run", cfg.Publish.DryRun, true},
		{"publish.backfill", cfg.Publish.Backfill, 4},
		{"publish.breaking_categories", strings.Join(cfg.Publish.BreakingCategories, "|"), "Breaking|Live"},
		{"feed.timeout", cfg.Feed.Timeout, 5 * time.Second},
		{"feed.max_body", cfg.Feed.MaxBody, int64(1 << 20)},
		{"ranking.weights.shares", cfg.Ranking.Weights.Shares, 2.5},
		{"sandbox", cfg.Sandbox, true},
		{"shortlinks", cfg.Shortlinks, false},
		{"log.level", cfg.Log.Level, "warn"},
		{"dispatch.instance_id", cfg.Dispatch.InstanceID, "node-7"},
		{"evergreen.schedule", cfg.Evergreen.Schedule, "0 9 * * *"},
		{"x.access_token", x.AccessToken, "env-token-x"},
		{"x.cost.monthly_budget", x.Cost.MonthlyBudget, 25.0},
		{"x_main.access_token", xm.AccessToken, "env-token-main"},
		{"x_main.access_token_secret", xm.AccessTokenSecret, "env-ats"},
		{"x_main.consumer_key", xm.ConsumerKey, "env-ck"},
		{"x_main.quiet_hours", xm.QuietHours, QuietHours{"22:00", "06:00"}},
		{"x_main.template", xm.Template, "{{.Title}}"},
		{"x_main.hashtags", xm.Hashtags, 3},
		{"x_main.min_interval", xm.MinInterval, time.Minute},
		{"x_main.utm.source", xm.UTM.Source, "tw"},
		{"x_main.api", xm.API, "v1.1"},
		{"x_main.cost.post_with_link", xm.Cost.PostWithLink, 0.0},
		{"x_main.cost.post (default)", xm.Cost.Post, 0.015},
		{"x_main.daily_cap", xm.DailyCap, 12},
		{"x_main.timezone", xm.Timezone, "Europe/Madrid"},
		{"x_main.api_base_url", xm.APIBaseURL, "http://127.0.0.1:9999"},
		{"fb-page.page_access_token", fb.PageAccessToken, "fb-token"},
		{"fb-page.graph_version", fb.GraphVersion, "v23.0"},
		{"fb-page.app_secret", fb.AppSecret, "env-app-secret"},
		{"sources[0].interval", cfg.Sources[0].Interval, 30 * time.Second},
		{"sources[1].url", cfg.Sources[1].URL, "https://example.com/sport.xml"},
		{"sources[1].targets", strings.Join(cfg.Sources[1].Targets, ","), "fb-page,x"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestEnvNamingNothing(t *testing.T) {
	for _, name := range []string{
		"HERALD_ACCOUNTS_NOPE_ACCESS_TOKEN",  // no such account
		"HERALD_ACCOUNTS_X_MAIN_ACESS_TOKEN", // no such key
		"HERALD_SOURCES_2_URL",               // no such source
		"HERALD_SOURCES_0_URI",
		"HERALD_SOURCES_X_URL",
	} {
		t.Run(name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(name, "value")
			_, err := Load(writeConfig(t, envBase), nil)
			var ve *ValidationError
			if !errors.As(err, &ve) || !ve.Has(name) {
				t.Fatalf("error = %v, want a problem naming %s", err, name)
			}
		})
	}
}

func TestEnvBadValue(t *testing.T) {
	clearEnv(t)
	t.Setenv("HERALD_FEED_TIMEOUT", "soon")
	t.Setenv("HERALD_ACCOUNTS_X_DAILY_CAP", "many")
	_, err := Load(writeConfig(t, envBase), nil)
	var ve *ValidationError
	if !errors.As(err, &ve) || !ve.Has("feed.timeout") || !ve.Has("accounts.x.daily_cap") {
		t.Fatalf("error = %v", err)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	clearEnv(t)
	t.Setenv("HERALD_LOG_LEVEL", "warn")
	t.Setenv("HERALD_LOG_FORMAT", "text")
	flags := pflag.NewFlagSet("herald", pflag.ContinueOnError)
	flags.String("log-level", "", "")
	flags.String("log-format", "", "")
	if err := flags.Parse([]string{"--log-level", "debug"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(writeConfig(t, "log: {level: error, format: json}\n"), flags)
	if err != nil {
		t.Fatal(err)
	}
	// A changed flag beats the environment; an unchanged one does not count.
	if cfg.Log.Level != "debug" || cfg.Log.Format != "text" {
		t.Errorf("log = %+v, want debug/text", cfg.Log)
	}
	clearEnv(t)
	cfg, err = Load(writeConfig(t, "sandbox: true\n"), pflag.NewFlagSet("x", pflag.ContinueOnError))
	if err != nil || cfg.Log.Level != "info" {
		t.Errorf("defaults with an empty flag set: %+v, %v", cfg, err)
	}
}

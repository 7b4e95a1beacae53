package config

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// clearEnv removes every HERALD_* variable for the test (restored after).
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvPrefix) {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
}

// writeConfig writes a configuration file and returns its path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, path string) *Config {
	t.Helper()
	cfg, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return cfg
}

// mustLoadValid loads path and fails the test unless it loads and validates.
func mustLoadValid(t *testing.T, path string) *Config {
	t.Helper()
	cfg := mustLoad(t, path)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate(%s): %v", path, err)
	}
	return cfg
}

func TestGoodConfig(t *testing.T) {
	clearEnv(t)
	cfg := mustLoadValid(t, "testdata/good.yaml")
	if cfg.File != "testdata/good.yaml" {
		t.Errorf("File = %q", cfg.File)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"database.url", cfg.Database.URL, "postgres://herald:s3cret-db@db.internal:5432/herald?sslmode=require"},
		{"http.webhook_targets", strings.Join(cfg.HTTP.WebhookTargets, ","), "x_main"},
		{"publish.max_age", cfg.Publish.MaxAge, 24 * time.Hour},
		{"publish.backfill", cfg.Publish.Backfill, 5},
		{"publish.breaking_categories", strings.Join(cfg.Publish.BreakingCategories, ","), "Breaking,Urgent"},
		{"feed.max_body", cfg.Feed.MaxBody, int64(5 << 20)},
		{"feed.max_backoff", cfg.Feed.MaxBackoff, 30 * time.Minute},
		{"dispatch.instance_id", cfg.Dispatch.InstanceID, "herald-a"},
		{"dispatch.backoff_base", cfg.Dispatch.BackoffBase, 10 * time.Second},
		{"dispatch.backoff_max", cfg.Dispatch.BackoffMax, 10 * time.Minute},
		{"dispatch.reconcile_delay", cfg.Dispatch.ReconcileDelay, 3 * time.Second},
		{"dispatch.reconcile_window", cfg.Dispatch.ReconcileWindow, 2 * time.Minute},
		{"dispatch.rate_limit_wait", cfg.Dispatch.RateLimitWait, 90 * time.Second},
		{"ranking.weights.comments", cfg.Ranking.Weights.Comments, 2.5},
		{"ranking.weights.clicks", cfg.Ranking.Weights.Clicks, 0.0},
		{"evergreen.schedule", cfg.Evergreen.Schedule, "0 10 * * 1-5"},
		{"evergreen.min_gap", cfg.Evergreen.MinGap, 14 * 24 * time.Hour},
		{"shortlinks", cfg.Shortlinks, true},
		{"sources", len(cfg.Sources), 3},
		{"sources[0].interval", cfg.Sources[0].Interval, time.Minute},
		{"sources[0].websub", cfg.Sources[0].WebSub, true},
		{"sources[1].interval (default)", cfg.Sources[1].Interval, DefaultSourceInterval},
		{"sources[1].time_bound", cfg.Sources[1].TimeBound, true},
		{"sources[2].targets", strings.Join(cfg.Sources[2].Targets, ","), "fb_page"},
		{"accounts", len(cfg.Accounts), 3},
		{"x_main.quiet_hours.end", cfg.Accounts["x_main"].QuietHours.End, "06:30"},
		{"x_main.utm.campaign", cfg.Accounts["x_main"].UTM.Campaign, "herald"},
		{"x_main.min_interval", cfg.Accounts["x_main"].MinInterval, 90 * time.Second},
		{"x_main.cost.monthly_budget", cfg.Accounts["x_main"].Cost.MonthlyBudget, 150.0},
		{"x_main.cost.post_with_link (default)", cfg.Accounts["x_main"].Cost.PostWithLink, 0.20},
		{"x_oauth2.cost.post (explicit 0)", cfg.Accounts["x_oauth2"].Cost.Post, 0.0},
		{"x_oauth2.cost.read (default)", cfg.Accounts["x_oauth2"].Cost.Read, 0.005},
		{"fb_page.graph_version", cfg.Accounts["fb_page"].GraphVersion, "v24.0"},
		{"fb_page.graph_base_url (default)", cfg.Accounts["fb_page"].GraphBaseURL, "https://graph.facebook.com"},
		{"fb_page.cost.post_with_link", cfg.Accounts["fb_page"].Cost.PostWithLink, 0.0},
		{"fb_page.blocked_wait", cfg.Accounts["fb_page"].BlockedWait, 2 * time.Hour},
		{"fb_page.rate_limit_wait (default)", cfg.Accounts["fb_page"].RateLimitWait, 15 * time.Minute},
		{"x_main.rate_limit_wait (unused on twitter)", cfg.Accounts["x_main"].RateLimitWait, time.Duration(0)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestBadConfigs loads every file under testdata/bad. Each breaks exactly one
// rule, named in its header: "# key: K" and "# message: M".
func TestBadConfigs(t *testing.T) {
	clearEnv(t)
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) < 40 {
		t.Fatalf("bad configs: %d files, %v", len(files), err)
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			key, msg := wantHeader(t, path)
			cfg, err := Load(path, nil)
			if err == nil {
				err = cfg.Validate()
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error = %v, want a *ValidationError", err)
			}
			if len(ve.Errors) != 1 {
				t.Fatalf("%d problems, want 1: %v", len(ve.Errors), err)
			}
			if got := ve.Errors[0].Key; got != key {
				t.Errorf("key = %q, want %q (%v)", got, key, err)
			}
			if !strings.Contains(ve.Errors[0].Message, msg) {
				t.Errorf("message = %q, want it to contain %q", ve.Errors[0].Message, msg)
			}
			if want := path + ": " + key + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), want)
			}
		})
	}
}

func wantHeader(t *testing.T, path string) (key, msg string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "# key: "); ok {
			key = v
		}
		if v, ok := strings.CutPrefix(line, "# message: "); ok {
			msg = v
		}
	}
	if key == "" || msg == "" {
		t.Fatalf("%s: header needs '# key:' and '# message:'", path)
	}
	return key, msg
}

func TestManyProblemsListed(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, `
log: {level: loud, format: xml}
sources:
  - {name: a, url: "ftp://x", targets: [nobody]}
`)
	err := mustLoad(t, path).Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v", err)
	}
	for _, key := range []string{"log.level", "log.format", "sources[0].url", "sources[0].targets[0]"} {
		if !ve.Has(key) {
			t.Errorf("no problem for %s in %v", key, err)
		}
	}
	if !strings.Contains(err.Error(), "4 problems:\n  log.level: ") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestDefaults(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, `
sandbox: true
sources:
  - {name: world, url: "https://example.com/world.xml", targets: [x_main, fb_page]}
accounts:
  x_main: {network: twitter}
  fb_page: {network: facebook}
`)
	cfg := mustLoadValid(t, path)
	want := Default()
	// Everything but what the file set is the default.
	got := *cfg
	got.Sandbox, got.Sources, got.Accounts, got.File = false, nil, nil, ""
	gotYAML, _ := got.YAML()
	wantYAML, _ := want.YAML()
	if string(gotYAML) != string(wantYAML) {
		t.Errorf("defaults differ:\n got: %s\nwant: %s", gotYAML, wantYAML)
	}
	if cfg.Database.URL != "sqlite:data/herald.db" || cfg.Feed.MaxBody != 10<<20 ||
		cfg.Publish.MaxAge != 48*time.Hour || cfg.Evergreen.MinGap != 720*time.Hour {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	if !strings.HasPrefix(cfg.Feed.UserAgent, "Herald/") {
		t.Errorf("user agent = %q", cfg.Feed.UserAgent)
	}
	if cfg.Sources[0].Interval != 2*time.Minute {
		t.Errorf("source interval = %v", cfg.Sources[0].Interval)
	}
	x, fb := cfg.Accounts["x_main"], cfg.Accounts["fb_page"]
	if x != DefaultAccount(NetworkTwitter) {
		t.Errorf("x_main = %+v, want %+v", x, DefaultAccount(NetworkTwitter))
	}
	if fb != DefaultAccount(NetworkFacebook) {
		t.Errorf("fb_page = %+v, want %+v", fb, DefaultAccount(NetworkFacebook))
	}
	if x.Cost != (Cost{PostWithLink: 0.20, Post: 0.015, Read: 0.005}) || fb.Cost != (Cost{}) {
		t.Errorf("costs: x %+v, fb %+v", x.Cost, fb.Cost)
	}
	// The waits are the dispatcher's and the publishers' own defaults, and
	// the call timeout is inside the lease.
	d := cfg.Dispatch
	if d.Timeout != 15*time.Second || d.Lease != 30*time.Second || d.BackoffBase != 30*time.Second ||
		d.BackoffMax != 30*time.Minute || d.ReconcileDelay != 5*time.Second ||
		d.ReconcileWindow != time.Minute || d.RateLimitWait != time.Minute {
		t.Errorf("dispatch defaults: %+v", d)
	}
	if fb.RateLimitWait != 15*time.Minute || fb.BlockedWait != time.Hour || x.RateLimitWait != 0 {
		t.Errorf("waits: fb %s/%s, x %s", fb.RateLimitWait, fb.BlockedWait, x.RateLimitWait)
	}
	for _, n := range []string{NetworkMastodon, NetworkBluesky} {
		if a := DefaultAccount(n); a.RateLimitWait != 5*time.Minute || a.BlockedWait != 0 {
			t.Errorf("%s waits: %s/%s", n, a.RateLimitWait, a.BlockedWait)
		}
	}
}

func TestVersionInUserAgent(t *testing.T) {
	clearEnv(t)
	cfg, err := LoadOptions(Options{Path: writeConfig(t, "sandbox: true\n"), Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Herald/1.2.3 (+https://github.com/heraldhq/herald)"; cfg.Feed.UserAgent != want {
		t.Errorf("user agent = %q, want %q", cfg.Feed.UserAgent, want)
	}
}

func TestFileErrors(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.yaml")
	if _, err := Load(missing, nil); err == nil || !strings.Contains(err.Error(), missing) ||
		!strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing explicit file: %v", err)
	}
	// A directory cannot be read as a file (root can read any mode, so
	// permissions would not do).
	if _, err := Load(dir, nil); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("unreadable file: %v", err)
	}
	broken := writeConfig(t, "sources:\n  - name: a\n   url: b\n")
	if _, err := Load(broken, nil); err == nil || !strings.Contains(err.Error(), broken) ||
		!strings.Contains(err.Error(), "yaml: line ") {
		t.Errorf("broken YAML: %v", err)
	}
}

func TestDefaultFileMayBeMissing(t *testing.T) {
	clearEnv(t)
	t.Chdir(t.TempDir())
	cfg, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != "" || cfg.Database.URL != Default().Database.URL {
		t.Errorf("cfg = %+v", cfg)
	}
	if err := os.MkdirAll("configs", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(DefaultPath, []byte("publish: {backfill: 7}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load("", nil)
	if err != nil || cfg.File != DefaultPath || cfg.Publish.Backfill != 7 {
		t.Errorf("default file not read: %+v, %v", cfg, err)
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	clearEnv(t)
	cfg := mustLoad(t, "testdata/good.yaml")
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"max_age: 24h\n", "min_gap: 336h\n", "targets: [x_main, fb_page]\n", "  x_main:\n    network: twitter\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("YAML lacks %q:\n%s", want, out)
		}
	}
	again := mustLoad(t, writeConfig(t, string(out)))
	out2, _ := again.YAML()
	if string(out) != string(out2) {
		t.Errorf("round trip changed the configuration:\n%s\n---\n%s", out, out2)
	}
}

func TestTargetsWithFilters(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, `
sandbox: true
sources:
  - name: world
    url: "https://example.com/world.xml"
    targets: [X_Main, {account: fb_page, exclude: {categories: [Opinion], title: ["^Live"]}}]
    include: {authors: [Ana]}
    max_new_per_poll: -1
accounts:
  x_main: {network: twitter}
  fb_page: {network: facebook}
`)
	cfg := mustLoadValid(t, path)
	s := cfg.Sources[0]
	if !slices.Equal(s.Targets, []string{"x_main", "fb_page"}) {
		t.Errorf("targets = %q", s.Targets)
	}
	fb, ok := s.TargetFilters["fb_page"]
	if !ok || len(s.TargetFilters) != 1 || !slices.Equal(fb.Exclude.Categories, []string{"Opinion"}) ||
		!slices.Equal(fb.Exclude.Title, []string{"^Live"}) {
		t.Errorf("target filters = %+v", s.TargetFilters)
	}
	if !slices.Equal(s.Include.Authors, []string{"Ana"}) || s.MaxNewPerPoll != -1 || cfg.Publish.MaxNewPerPoll != 10 {
		t.Errorf("source = %+v, publish.max_new_per_poll = %d", s, cfg.Publish.MaxNewPerPoll)
	}
}

func TestTargetFiltersRoundTrip(t *testing.T) {
	clearEnv(t)
	cfg := mustLoad(t, writeConfig(t, `
sandbox: true
sources:
  - name: world
    url: "https://example.com/world.xml"
    targets: [x_main, {account: fb_page, exclude: {categories: [Opinion]}}]
accounts:
  x_main: {network: twitter}
  fb_page: {network: facebook}
`))
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	again := mustLoad(t, writeConfig(t, string(out)))
	if f := again.Sources[0].TargetFilters["fb_page"]; !slices.Equal(again.Sources[0].Targets, []string{"x_main", "fb_page"}) ||
		!slices.Equal(f.Exclude.Categories, []string{"Opinion"}) {
		t.Errorf("round trip lost the target filter:\n%s", out)
	}
}

package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/herald"
)

// wireConfig is a configuration with one X account and one Page, as the
// defaults and a file would leave it.
func wireConfig() *config.Config {
	cfg := config.Default()
	x := config.DefaultAccount(config.NetworkTwitter)
	x.ConsumerKey, x.ConsumerSecret, x.AccessToken, x.AccessTokenSecret = "ck", "cs", "at", "ats"
	fb := config.DefaultAccount(config.NetworkFacebook)
	fb.PageID, fb.PageAccessToken = "42", "page-token"
	cfg.Accounts = map[string]config.Account{"x_main": x, "fb_page": fb}
	return cfg
}

func TestBuildDispatchAccountsMapsEveryKey(t *testing.T) {
	cfg := wireConfig()
	x := cfg.Accounts["x_main"]
	x.MinInterval, x.DailyCap, x.Timezone = 90*time.Second, 40, "America/Mexico_City"
	x.QuietHours = config.QuietHours{Start: "22:00", End: "06:30"}
	x.Cost.MonthlyBudget = 50
	cfg.Accounts["x_main"] = x

	accts := dispatchAccounts(t, context.Background(), cfg, nil)
	if len(accts) != 2 || accts[0].ID != "fb_page" || accts[1].ID != "x_main" {
		t.Fatalf("accounts %+v, want fb_page then x_main", accts)
	}
	fb, xa := accts[0], accts[1]
	if fb.Network != herald.Facebook || fb.Location != time.UTC || fb.Cost != (dispatch.Cost{}) {
		t.Errorf("fb_page: %+v", fb)
	}
	want := dispatch.Cost{PostWithLink: dispatch.Dollars(0.20), Post: dispatch.Dollars(0.015),
		Read: dispatch.Dollars(0.005), MonthlyBudget: dispatch.Dollars(50)}
	if xa.Cost != want || xa.MinInterval != 90*time.Second || xa.DailyCap != 40 ||
		xa.Location.String() != "America/Mexico_City" ||
		xa.QuietStart != 22*time.Hour || xa.QuietEnd != 6*time.Hour+30*time.Minute {
		t.Errorf("x_main: %+v", xa)
	}
	if _, err := dispatch.New(nil, accts, dispatchOptions(cfg, nil), nil); err != nil {
		t.Errorf("the dispatcher refuses the wired accounts and default options: %v", err)
	}

	x.QuietHours.End = "6.30"
	cfg.Accounts["x_main"] = x
	pubs, err := buildPublishers(context.Background(), cfg, nil, nil)
	comps, cerr := buildComposers(cfg)
	if err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	if _, err := buildDispatchAccounts(cfg, pubs, comps, ""); err == nil || !strings.Contains(err.Error(), "accounts.x_main.quiet_hours") {
		t.Errorf("bad quiet hours: %v, want an error naming the key", err)
	}
}

func TestComposeFuncFollowsTheJob(t *testing.T) {
	cfg := wireConfig()
	x := cfg.Accounts["x_main"]
	x.Template, x.RepostTemplate = "{{.Title}} — {{.URL}}", "Again: {{.Title}} {{.URL}}"
	cfg.Accounts["x_main"] = x
	c, err := buildComposer("x_main", x)
	if err != nil {
		t.Fatal(err)
	}
	art := herald.Article{ID: 7, Title: "Peña Nieto &amp; Videgaray", URL: "https://news.example/a"}
	for _, tt := range []struct {
		name string
		job  herald.Job
		want string
	}{
		{"post", herald.Job{Kind: herald.KindPost}, "Peña Nieto & Videgaray — https://news.example/a"},
		{"repost", herald.Job{Kind: herald.KindRepost, Seq: 1}, "Again: Peña Nieto & Videgaray https://news.example/a"},
		{"job template", herald.Job{Kind: herald.KindRepost, Template: "New: {{.Title}} {{.URL}}"}, "New: Peña Nieto & Videgaray https://news.example/a"},
		{"job text", herald.Job{Kind: herald.KindAdhoc, Text: "Read this"}, "Read this https://news.example/a"},
		{"short link", herald.Job{Kind: herald.KindPost, ShortCode: "abc"}, "Peña Nieto & Videgaray — http://127.0.0.1:8080/s/abc"},
	} {
		j := tt.job
		j.ArticleID, j.Account = art.ID, "x_main"
		m, err := composeFunc(c, shortBase(&config.Config{Shortlinks: true, HTTP: cfg.HTTP}))(art, j)
		if err != nil || m.Text != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, m.Text, err, tt.want)
		}
		if m.IdempotencyKey == "" {
			t.Errorf("%s: no idempotency key", tt.name)
		}
	}
	if shortBase(cfg) != "" {
		t.Error("short links without shortlinks: true")
	}
}

func TestBuildPublisherRefusals(t *testing.T) {
	cfg := wireConfig()
	cfg.Accounts["sky"] = config.Account{Network: config.NetworkBluesky}
	if _, err := buildPublisher(cfg, "sky", nil, nil); err == nil || !strings.Contains(err.Error(), "handle is required") {
		t.Errorf("bluesky without a handle: %v, want an error naming it", err)
	}
	if _, err := buildPublisher(cfg, "nobody", nil, nil); exitCode(err) != ExitFailure {
		t.Errorf("unknown account: %v, want a failure (not found)", err)
	}

	x := cfg.Accounts["x_main"]
	x.AccessToken = ""
	cfg.Accounts["x_main"] = x
	if _, err := buildPublisher(cfg, "x_main", nil, nil); err == nil || !strings.Contains(err.Error(), "access_token") {
		t.Errorf("missing access token: %v, want an error naming it", err)
	}
	cfg.Publish.DryRun = true
	p, err := buildPublisher(cfg, "x_main", nil, nil)
	if err != nil {
		t.Fatalf("dry run without credentials: %v", err)
	}
	if _, err := p.Publish(context.Background(), herald.Message{Text: "x"}); herald.KindOf(err) != herald.ErrPermanent {
		t.Errorf("a dry run's stand-in published: %v", err)
	}

	// A sandbox configuration never reaches a real network, even with
	// credentials, until the sandbox runs.
	cfg = wireConfig()
	cfg.Sandbox = true
	if _, err := buildPublishers(context.Background(), cfg, nil, nil); err == nil || !strings.Contains(err.Error(), "sandbox was not started") {
		t.Errorf("sandbox not started: %v", err)
	}
}

func TestSandboxServesEveryAccountLocally(t *testing.T) {
	cfg := wireConfig()
	cfg.Sandbox = true
	cfg.Database.URL = "sqlite:" + filepath.Join(t.TempDir(), "herald.db") // the state file goes beside it
	cfg.Accounts["toot"] = config.Account{Network: config.NetworkMastodon, InstanceURL: "https://mastodon.example"}
	cfg.Accounts["sky_desk"] = config.Account{Network: config.NetworkBluesky, PDSURL: "https://bsky.social"}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	sb, err := startSandbox(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	pubs, err := buildPublishers(context.Background(), cfg, nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range accountIDs(cfg) {
		if _, err := pubs[id].Check(ctx); err != nil {
			t.Errorf("%s: check against the sandbox: %v", id, err)
		}
		r, err := pubs[id].Publish(ctx, herald.Message{Text: "Hello https://news.example/h", Link: "https://news.example/h"})
		if err != nil || !isLoopbackURL(r.Permalink) {
			t.Errorf("%s: permalink %q, %v; want one on the sandbox", id, r.Permalink, err)
		}
	}
	if len(sb.X.Posts()) != 1 || len(sb.Graph.Posts()) != 1 || len(sb.Mastodon.Posts()) != 1 || len(sb.Bluesky.Posts()) != 1 {
		t.Errorf("the sandbox got %d X, %d Graph, %d Mastodon and %d Bluesky posts, want 1 each",
			len(sb.X.Posts()), len(sb.Graph.Posts()), len(sb.Mastodon.Posts()), len(sb.Bluesky.Posts()))
	}
	// The generated credentials stay in memory.
	for _, id := range accountIDs(cfg) {
		a := cfg.Accounts[id]
		for _, secret := range []string{a.ConsumerSecret, a.AccessToken, a.AccessTokenSecret, a.PageAccessToken, a.AppSecret, a.AppPassword} {
			if secret != "" && strings.Contains(logs.String(), secret) {
				t.Errorf("%s: a sandbox credential is in the log", id)
			}
		}
	}
	if !strings.Contains(logs.String(), "not to the real networks") {
		t.Error("the log does not say posts stay local")
	}

	off := wireConfig()
	if sb, err := startSandbox(off, nil); sb != nil || err != nil {
		t.Errorf("sandbox off: %v, %v; want nothing started", sb, err)
	}
	var none *sandbox
	none.Close() // a nil sandbox closes as a no-op
}

func TestOptionsFollowTheConfiguration(t *testing.T) {
	cfg := wireConfig()
	cfg.Dispatch.InstanceID, cfg.Dispatch.Lease, cfg.Dispatch.Timeout = "herald-7", 20*time.Second, 10*time.Second
	cfg.Dispatch.BackoffBase, cfg.Dispatch.BackoffMax = 50*time.Millisecond, 500*time.Millisecond
	cfg.Dispatch.ReconcileDelay, cfg.Dispatch.ReconcileWindow = 100*time.Millisecond, 2*time.Minute
	cfg.Dispatch.RateLimitWait = 200 * time.Millisecond
	cfg.Publish.DryRun = true
	d := dispatchOptions(cfg, nil)
	if d.Owner != "herald-7" || d.Lease != 20*time.Second || d.Timeout != 10*time.Second || !d.DryRun {
		t.Errorf("dispatch options %+v: want owner herald-7, lease 20s, timeout 10s, dry run", d)
	}
	if d.BackoffBase != 50*time.Millisecond || d.BackoffMax != 500*time.Millisecond ||
		d.ReconcileDelay != 100*time.Millisecond || d.ReconcileWindow != 2*time.Minute ||
		d.RateLimitWait != 200*time.Millisecond {
		t.Errorf("dispatch options %+v: the waits are not the configured ones", d)
	}
	if _, err := dispatch.New(nil, nil, dispatchOptions(config.Default(), nil), nil); err != nil {
		t.Errorf("the default configuration is refused by the dispatcher: %v", err)
	}
	cfg.Sources = []config.Source{{Name: "world", URL: "https://news.example/world.xml", Interval: time.Minute, Targets: []string{"x_main"}}}
	called := false
	f := feedOptions(cfg, func(herald.Article) { called = true })
	if f.Owner != "herald-7" || f.Lease != 20*time.Second || len(f.Sources) != 1 || f.Sources[0].Targets[0] != "x_main" {
		t.Errorf("feed options %+v", f)
	}
	f.OnNew(herald.Article{})
	if !called {
		t.Error("OnNew is not the callback given")
	}
}

// TestPublishersWaitAsConfigured: a throttled or blocked account whose
// answer names no reset time is held for the configured wait.
func TestPublishersWaitAsConfigured(t *testing.T) {
	graphCode := 4
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Path, "/statuses") { // Mastodon: a bare 429
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":"Too many requests"}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":"limit","type":"OAuthException","code":%d,"fbtrace_id":"x"}}`, graphCode)
	}))
	cfg := wireConfig()
	fb := cfg.Accounts["fb_page"]
	fb.GraphBaseURL, fb.RateLimitWait, fb.BlockedWait = base, 7*time.Minute, 3*time.Hour
	m := config.DefaultAccount(config.NetworkMastodon)
	m.InstanceURL, m.AccessToken, m.RateLimitWait = base, "token", 11*time.Minute
	cfg.Accounts["fb_page"], cfg.Accounts["masto"] = fb, m

	for _, c := range []struct {
		account string
		code    int
		want    time.Duration
	}{{"fb_page", 4, 7 * time.Minute}, {"fb_page", 368, 3 * time.Hour}, {"masto", 0, 11 * time.Minute}} {
		graphCode = c.code
		p, err := buildPublisher(cfg, c.account, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = p.Publish(context.Background(), herald.Message{Text: "Title https://news.example/a", Link: "https://news.example/a"})
		var he *herald.Error
		if !errors.As(err, &he) || he.Kind != herald.ErrRateLimited {
			t.Fatalf("%s (code %d): error = %v, want rate limited", c.account, c.code, err)
		}
		if wait := he.RetryAt.Sub(start); wait < c.want || wait > c.want+time.Minute {
			t.Errorf("%s (code %d): held %s, want %s", c.account, c.code, wait.Round(time.Second), c.want)
		}
	}
}

func TestStartupDatabaseHidesThePassword(t *testing.T) {
	for in, want := range map[string]string{
		"sqlite:data/herald.db":                          "sqlite:data/herald.db",
		"postgres://herald:s3cret@db:5432/herald":        "postgres://herald:***@db:5432/herald",
		"postgresql://db.internal/herald?sslmode=x":      "postgresql://db.internal/herald?sslmode=x",
		"postgres://db/herald?password=s3cret&sslmode=x": "postgres://db/herald?password=***&sslmode=x",
		"host=db password=s3cret dbname=herald":          "host=db password=*** dbname=herald",
	} {
		if got := herald.RedactURL(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// dispatchAccounts builds cfg's accounts for the dispatcher over st (nil:
// no store), as herald run does.
func dispatchAccounts(t *testing.T, ctx context.Context, cfg *config.Config, st herald.Store) []dispatch.Account {
	t.Helper()
	pubs, err := buildPublishers(ctx, cfg, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	comps, err := buildComposers(cfg)
	if err != nil {
		t.Fatal(err)
	}
	accts, err := buildDispatchAccounts(cfg, pubs, comps, "")
	if err != nil {
		t.Fatal(err)
	}
	return accts
}

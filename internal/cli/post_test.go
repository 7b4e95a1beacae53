package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
)

// openDB opens the database of a configuration written by writeConfig.
func openDB(t *testing.T, cfg string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(filepath.Dir(cfg), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestPostSendsOnceThroughTheOutbox(t *testing.T) {
	x, g, cfg, secrets := liveAccounts(t)
	ok(t, cfg, "migrate")
	db := openDB(t, cfg)
	ctx := context.Background()
	// A story already waiting for x_ok: `herald post` must not send it.
	src, err := db.PushSource(ctx, "webhook")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveArticles(ctx, src.ID, []herald.ArticleInput{{URL: "https://example.com/waiting", Title: "Waiting story",
		Announce: true, Targets: []string{"x_ok"}}}, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := run(t, "-c", cfg, "post", "--account", "x_ok", "--title", "Live: the &amp; results",
		"--link", "https://Example.com/live?utm_source=cms#top")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	posts := x.PostsByUser("1800000001")
	if len(posts) != 1 || posts[0].Text != "Live: the & results https://example.com/live" {
		t.Fatalf("X got %+v", posts)
	}
	if want := "Posted to x_ok (job 2): "; !strings.HasPrefix(out, want) || !strings.Contains(out, "/status/"+posts[0].ID+"\n") ||
		!strings.HasSuffix(out, "\n  Live: the & results https://example.com/live\n") {
		t.Errorf("stdout:\n%s", out)
	}
	job, err := db.GetJob(ctx, 2)
	if err != nil || job.Kind != herald.KindAdhoc || job.State != herald.JobSent || job.RemoteID != posts[0].ID {
		t.Errorf("job %+v, %v", job, err)
	}
	art, err := db.FindArticle(ctx, "https://example.com/live")
	if err != nil || art.Section != adhocSource || art.Title != "Live: the & results" {
		t.Errorf("article %+v, %v", art, err)
	}
	if waiting, err := db.GetJob(ctx, 1); err != nil || waiting.State != herald.JobPending {
		t.Errorf("the waiting story's job: %+v, %v", waiting, err)
	}
	if jobs, err := db.ListJobs(ctx, herald.JobFilter{}); err != nil || len(jobs) != 2 {
		t.Errorf("%d jobs, want the waiting one and the ad-hoc one (%v)", len(jobs), err)
	}

	// The same link to the Page with a text of its own, as JSON: the
	// article is reused, the Page gets message and link.
	out = ok(t, cfg, "post", "--account", "fb_ok", "--link", "https://example.com/live", "--text", "Follow the count", "--format", "json")
	var res postResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	fb := g.PostsByPage("990000000000101")
	if len(fb) != 1 || fb[0].Message != "Follow the count" || fb[0].Link != "https://example.com/live" ||
		res.State != "sent" || res.Permalink == "" || res.RemoteID != fb[0].ID || res.ArticleID != art.ID {
		t.Errorf("facebook %+v, result %+v", fb, res)
	}
	for _, s := range secrets {
		if strings.Contains(out+errOut, s) {
			t.Errorf("a secret is shown: %q", s)
		}
	}
}

func TestPostFailuresSayWhy(t *testing.T) {
	x, _, cfg, _ := liveAccounts(t)
	emulatortest.ExpireUser(x, "1800000002")
	// The network refuses the credentials: the account is paused, the post waits.
	_, errOut := fails(t, cfg, ExitFailure, []string{"post", "--account", "x_revoked", "--title", "T", "--link", "https://example.com/t"},
		"not sent yet: job 1 is pending after auth", "x_revoked is now paused", "herald accounts resume x_revoked")
	if strings.Count(errOut, "herald: ") != 1 {
		t.Errorf("stderr:\n%s", errOut)
	}
	db := openDB(t, cfg)
	if a, err := db.GetAccount(context.Background(), "x_revoked"); err != nil || !a.Paused {
		t.Errorf("account %+v, %v", a, err)
	}
	// Posting to a paused account is refused before any job is made.
	fails(t, cfg, ExitFailure, []string{"post", "--account", "x_revoked", "--title", "T2", "--link", "https://example.com/t2"},
		"x_revoked is paused", "resume x_revoked first")
	if jobs, _ := db.ListJobs(context.Background(), herald.JobFilter{}); len(jobs) != 1 {
		t.Errorf("%d jobs after posting to a paused account", len(jobs))
	}
	// Too long: skipped, never sent.
	fails(t, cfg, ExitFailure, []string{"post", "--account", "x_ok", "--link", "https://example.com/t", "--text", strings.Repeat("word ", 60)},
		"not sent: job 2 skipped (too long)")
	if n := len(x.Posts()); n != 0 {
		t.Errorf("%d posts reached X", n)
	}

	refusesUsage(t, cfg, "post", []usageCase{
		{[]string{"--title", "T", "--link", "https://example.com/t"}, "--account: required"},
		{[]string{"--account", "x_ok", "--title", "T"}, "--link: required"},
		{[]string{"--account", "x_ok", "--title", "T", "--link", "example.com/t"}, "--link: must be an absolute"},
		{[]string{"--account", "x_ok", "--link", "https://example.com/unknown"}, "--title: required: Herald does not know"},
		{[]string{"--account", "x_ok", "--title", "T", "--link", "https://example.com/t", "--format", "csv"}, "--format"},
		{[]string{"--account", "x_ok", "--title", "T", "--link", "https://example.com/t", "--wait", "-1s"}, "--wait"},
		{[]string{"--account", "x_ok", "--title", "T", "--link", "https://example.com/t", "extra"}, "unknown command"},
	})
	// An account that does not exist is "not found": exit 1.
	fails(t, cfg, ExitFailure, []string{"post", "--account", "x_nobody", "--title", "T", "--link", "https://example.com/t"},
		`--account: no account is named "x_nobody"`)
}

// startDaemon runs a dispatcher on the configuration's database, as `herald
// run` would, until the test ends.
func startDaemon(t *testing.T, path string) {
	t.Helper()
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	accts := dispatchAccounts(t, ctx, cfg, db)
	d, err := dispatch.New(db, accts, dispatch.Options{Owner: "daemon", MaxIdle: 20 * time.Millisecond, TokenCheck: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func TestPostWaitsForARunningDaemon(t *testing.T) {
	x, _, cfg, _ := liveAccounts(t)
	appSetupOf(t).daemonSends = true // the daemon gets the job: this command only waits

	// No daemon: the job waits in the queue; the command says so.
	_, errOut := fails(t, cfg, ExitFailure, []string{"post", "--account", "x_ok", "--title", "Queued", "--link", "https://example.com/q",
		"--wait", "300ms"}, "not sent yet: job 1 is pending", "waits in the queue")
	_ = errOut
	ok(t, cfg, "queue", "cancel", "1")

	startDaemon(t, cfg)
	out := ok(t, cfg, "post", "--account", "x_ok", "--title", "Breaking", "--link", "https://example.com/b", "--wait", "10s")
	posts := x.Posts()
	if len(posts) != 1 || !strings.Contains(out, "/status/"+posts[0].ID) || posts[0].Text != "Breaking https://example.com/b" {
		t.Errorf("posts %+v\n%s", posts, out)
	}
}

func TestPostDryRun(t *testing.T) {
	x, _, cfg, _ := liveAccounts(t)
	t.Setenv("HERALD_PUBLISH_DRY_RUN", "true")
	out := ok(t, cfg, "post", "--account", "x_ok", "--title", "Rehearsal", "--link", "https://example.com/r")
	if !strings.HasPrefix(out, "Dry run (publish.dry_run): composed for x_ok, not sent (job 1):\n  Rehearsal https://example.com/r") ||
		len(x.Posts()) != 0 {
		t.Errorf("dry run:\n%s\nposts %v", out, x.Posts())
	}
}

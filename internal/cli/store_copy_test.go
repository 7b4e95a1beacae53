package cli

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/postgres/pgtest"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// pgSchema returns HERALD_TEST_POSTGRES_URL pointed at a schema of the
// test's own (created on first Migrate, dropped at the end), or skips.
func pgSchema(t *testing.T) string { return pgtest.Schema(t, "herald_test_") }

var copyT0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// fillStore gives st a history with something in every table: sources with
// polling and WebSub state, articles in two sources (one moved to a new
// URL), jobs in every state (sent with remote IDs, failed, pending, a
// repost, one left sending by a crash), readings, clicks, the ledger, a
// rotating token, a paused and a held account.
func fillStore(t *testing.T, st herald.Store) {
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.SyncAccounts(ctx, []herald.Account{{ID: "x_main", Network: herald.Twitter},
		{ID: "fb_page", Network: herald.Facebook}, {ID: "x_two", Network: herald.Twitter}}))
	must(st.SyncSources(ctx, []herald.SourceSpec{{Name: "mexico", URL: "https://example.com/mexico.xml"},
		{Name: "business", URL: "https://example.com/business.xml"}}))
	hook, err := st.PushSource(ctx, "webhook")
	must(err)
	srcs, err := st.ClaimSources(ctx, "poller", copyT0.Add(-3*time.Hour), time.Minute, 10)
	must(err)
	for _, s := range srcs {
		must(st.SavePoll(ctx, "poller", herald.PollResult{SourceID: s.ID, ETag: `"e-` + s.Name + `"`,
			LastModified: "Mon, 02 Mar 2026 09:00:00 GMT", Status: 200, Seeded: true,
			PolledAt: copyT0.Add(-3 * time.Hour), NextPollAt: copyT0.Add(time.Hour)}))
	}
	mexico, err := st.GetSource(ctx, "mexico")
	must(err)
	business, err := st.GetSource(ctx, "business")
	must(err)
	must(st.SetPush(ctx, business.ID, herald.PushState{HubURL: "https://hub.example/", State: "active",
		Secret: "s", LeaseUntil: copyT0.Add(24 * time.Hour)}))

	var items []herald.ArticleInput
	for i := range 12 {
		items = append(items, herald.ArticleInput{URL: fmt.Sprintf("https://example.com/news/%d", i),
			GUID: fmt.Sprintf("g%d", i), Title: fmt.Sprintf("Story «%d» & more", i), Summary: "S", Author: "Ana",
			ImageURL: "https://example.com/i.jpg", Categories: []string{"politics", fmt.Sprint(i)},
			PublishedAt: copyT0.Add(-time.Duration(i+2) * time.Hour), Announce: i > 0, Targets: []string{"x_main", "fb_page"}})
	}
	_, err = st.SaveArticles(ctx, mexico.ID, items, copyT0.Add(-2*time.Hour))
	must(err)
	moved := items[3]
	moved.URL = "https://example.com/news/3-moved"
	_, err = st.SaveArticles(ctx, mexico.ID, []herald.ArticleInput{moved}, copyT0.Add(-2*time.Hour))
	must(err)
	_, err = st.SaveArticles(ctx, business.ID, items[:4], copyT0.Add(-2*time.Hour))
	must(err)
	_, err = st.SaveArticles(ctx, hook.ID, []herald.ArticleInput{{URL: "https://example.com/pushed", Title: "Pushed",
		Announce: true, Targets: []string{"x_two"}}}, copyT0.Add(-2*time.Hour))
	must(err)

	// Send most jobs; fail one, leave some pending and one sending.
	sendAt := copyT0.Add(-90 * time.Minute)
	js, err := st.ClaimJobs(ctx, herald.ClaimOptions{Owner: "d", Now: sendAt, Lease: time.Minute,
		Accounts: map[string]time.Duration{"x_main": 0, "fb_page": 0}, PerAccount: 8})
	must(err)
	for i, j := range js {
		must(st.StartAttempt(ctx, j.ID, "d", sendAt, time.Minute))
		o := herald.Outcome{State: herald.JobSent, RemoteID: fmt.Sprintf("r%d", j.ID),
			Permalink: fmt.Sprintf("https://x.com/i/status/r%d", j.ID), SentText: "text", SentAt: sendAt, Attempted: true}
		if i == 3 {
			o = herald.Outcome{State: herald.JobFailed, Error: "(#100) bad", ErrorKind: herald.ErrPermanent, Attempted: true}
		}
		must(st.FinishJob(ctx, j.ID, "d", o, sendAt))
		if o.State != herald.JobSent {
			continue
		}
		must(st.SaveSnapshots(ctx, []herald.Snapshot{
			{JobID: j.ID, At: copyT0.Add(-time.Hour), Engagement: herald.Engagement{Retweets: int64(i), Likes: int64(2 * i), Shares: 1}},
			{JobID: j.ID, At: copyT0.Add(-30 * time.Minute), Engagement: herald.Engagement{Retweets: int64(3 * i), Likes: int64(5 * i),
				Shares: int64(i), Reactions: 7, Comments: 2, Impressions: 100}},
		}))
		if i%3 == 0 {
			_, err := st.RecordClick(ctx, j.ShortCode, copyT0.Add(-20*time.Minute))
			must(err)
		}
		_, err := st.RecordCharge(ctx, herald.Charge{Account: j.Account, Kind: herald.CostPostWithLink,
			RemoteID: o.RemoteID, Amount: 200_000, At: sendAt})
		must(err)
		_, err = st.RecordCharge(ctx, herald.Charge{Account: j.Account, Kind: herald.CostRead,
			RemoteID: o.RemoteID, Amount: 5_000, At: copyT0.Add(-time.Hour)})
		must(err)
	}
	crash, err := st.ClaimJobs(ctx, herald.ClaimOptions{Owner: "dead", Now: sendAt, Lease: time.Minute,
		Accounts: map[string]time.Duration{"x_two": 0}})
	must(err)
	must(st.StartAttempt(ctx, crash[0].ID, "dead", sendAt, time.Minute))
	_, err = st.CreateJob(ctx, herald.NewJob{ArticleID: js[0].ArticleID, Account: "x_main", Kind: herald.KindRepost,
		Template: "ICYMI: {{.Title}}", DueAt: copyT0.Add(time.Hour)}, copyT0)
	must(err)
	must(st.SaveToken(ctx, "x_main", herald.Token{AccessToken: "at", RefreshToken: "rt", Expiry: copyT0.Add(2 * time.Hour)}))
	must(st.SetTokenExpiry(ctx, "fb_page", copyT0.Add(60*24*time.Hour)))
	must(st.HoldAccount(ctx, "x_main", copyT0.Add(10*time.Minute), "rate limited"))
	must(st.PauseAccount(ctx, "fb_page", "auth: token expired"))
	ok, err := st.TryLock(ctx, "collector", "d", copyT0, time.Minute)
	must(err)
	if !ok {
		t.Fatal("TryLock failed")
	}
}

func TestStoreCopy(t *testing.T) {
	dsn := pgSchema(t) // before clearEnv drops HERALD_TEST_POSTGRES_URL
	clearEnv(t)
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "herald.db")
	lite := teststore.SQLiteAt(t, path)
	fillStore(t, lite)

	// herald migrate against PostgreSQL first leaves the configured sources
	// and accounts: that is no history, the copy replaces them.
	pre, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pre.Close() })
	if err := pre.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pre.SyncSources(ctx, []herald.SourceSpec{{Name: "world", URL: "https://example.com/world.xml"}}); err != nil {
		t.Fatal(err)
	}
	pre.Close()

	code, out, stderr := run(t, "store", "copy", "--from", "sqlite:"+path, "--to", dsn)
	if code != ExitOK {
		t.Fatalf("store copy: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(out, "13 articles") || !strings.Contains(stderr, "copied 13 articles") {
		t.Errorf("output:\n%s\n%s", out, stderr)
	}
	pg, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	sameStores(t, lite, pg)
	keepsWorking(t, lite, pg)

	// Once the target has history, copying again needs --force.
	code, _, stderr = run(t, "store", "copy", "--from", "sqlite:"+path, "--to", dsn)
	if code != ExitFailure || !strings.Contains(stderr, "--force") {
		t.Errorf("copy onto history: exit %d, stderr:\n%s", code, stderr)
	}
	code, _, stderr = run(t, "store", "copy", "--force", "--from", "sqlite:"+path, "--to", dsn)
	if code != ExitOK {
		t.Fatalf("store copy --force: exit %d\n%s", code, stderr)
	}
	sameStores(t, lite, pg)
}

// sameStores compares what the two stores answer through the Store API.
func sameStores(t *testing.T, a, b herald.Store) {
	t.Helper()
	ctx := t.Context()
	same := func(what string, get func(st herald.Store) (any, error)) {
		t.Helper()
		x, err := get(a)
		if err != nil {
			t.Fatalf("%s from sqlite: %v", what, err)
		}
		y, err := get(b)
		if err != nil {
			t.Fatalf("%s from postgres: %v", what, err)
		}
		if !reflect.DeepEqual(x, y) {
			t.Errorf("%s differs:\nsqlite:   %+v\npostgres: %+v", what, x, y)
		}
	}
	same("sources", func(st herald.Store) (any, error) { return st.ListSources(ctx) })
	same("articles", func(st herald.Store) (any, error) { return st.ListArticles(ctx, herald.ArticleFilter{}) })
	same("article by its old URL", func(st herald.Store) (any, error) {
		return st.FindArticle(ctx, "https://example.com/news/3")
	})
	same("jobs", func(st herald.Store) (any, error) { return st.ListJobs(ctx, herald.JobFilter{}) })
	same("job counts", func(st herald.Store) (any, error) { return st.CountJobs(ctx, "") })
	same("next due", func(st herald.Store) (any, error) { return st.NextDue(ctx) })
	same("job by permalink", func(st herald.Store) (any, error) {
		js, err := st.ListJobs(ctx, herald.JobFilter{States: []herald.JobState{herald.JobSent}, Limit: 1})
		if err != nil || len(js) == 0 {
			return nil, fmt.Errorf("no sent job: %v", err)
		}
		return st.FindJobByRemote(ctx, js[0].Permalink)
	})
	same("accounts", func(st herald.Store) (any, error) { return st.ListAccounts(ctx, copyT0) })
	same("token", func(st herald.Store) (any, error) { return st.LoadToken(ctx, "x_main") })
	same("spend", func(st herald.Store) (any, error) { return st.Spend(ctx, "", time.Time{}) })
	same("x_main spend today", func(st herald.Store) (any, error) {
		return st.Spend(ctx, "x_main", copyT0.Truncate(24*time.Hour))
	})
	same("posts to collect", func(st herald.Store) (any, error) { return st.PostsToCollect(ctx, herald.PostFilter{}) })
	for _, q := range []herald.ReportQuery{
		{By: "shares"}, {By: "score"}, {By: "clicks"}, {Network: herald.Facebook},
		{Section: "business", By: "reactions"}, {Trending: true}, {Trending: true, By: "clicks"},
	} {
		q.Since, q.Until = copyT0.Add(-24*time.Hour), copyT0
		same(fmt.Sprintf("report %+v", q), func(st herald.Store) (any, error) { return st.Report(ctx, q) })
	}
	same("series", func(st herald.Store) (any, error) {
		rows, err := st.Report(ctx, herald.ReportQuery{Since: copyT0.Add(-24 * time.Hour), Until: copyT0, Limit: 1})
		if err != nil || len(rows) == 0 {
			return nil, fmt.Errorf("no report row: %v", err)
		}
		return st.Series(ctx, rows[0].ArticleID, copyT0.Add(-2*time.Hour))
	})
}

// keepsWorking checks that the copy goes on where the original left off:
// new rows get new IDs, the ledger still counts a read once a day, the job
// left sending is reconciled.
func keepsWorking(t *testing.T, lite *sqlite.DB, pg *postgres.DB) {
	t.Helper()
	ctx := t.Context()
	sent, err := pg.ListJobs(ctx, herald.JobFilter{States: []herald.JobState{herald.JobSent}, Limit: 1})
	if err != nil || len(sent) == 0 {
		t.Fatalf("sent jobs: %v, %v", sent, err)
	}
	ok, err := pg.RecordCharge(ctx, herald.Charge{Account: sent[0].Account, Kind: herald.CostRead,
		RemoteID: sent[0].RemoteID, Amount: 5_000, At: copyT0.Add(-10 * time.Minute)})
	if err != nil || ok {
		t.Errorf("second read of %s on the same day: recorded %v, %v", sent[0].RemoteID, ok, err)
	}
	mexico, err := pg.GetSource(ctx, "mexico")
	if err != nil {
		t.Fatal(err)
	}
	before, err := lite.ListArticles(ctx, herald.ArticleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := pg.SaveArticles(ctx, mexico.ID, []herald.ArticleInput{{URL: "https://example.com/after", Title: "After",
		Announce: true, Targets: []string{"x_main"}}}, copyT0)
	if err != nil {
		t.Fatal(err)
	}
	if !rs[0].New || rs[0].Article.ID <= before[0].ID || len(rs[0].Jobs) != 1 {
		t.Errorf("saved after the copy: %+v", rs[0])
	}
	js, err := pg.ClaimJobs(ctx, herald.ClaimOptions{Owner: "new", Now: copyT0, Lease: time.Minute,
		Accounts: map[string]time.Duration{"x_two": 0}})
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || !js[0].Reconcile {
		t.Errorf("job left sending before the copy claimed as %+v, want Reconcile", js)
	}
}

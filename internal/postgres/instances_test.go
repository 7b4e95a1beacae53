package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres"
)

var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// instances opens n handles on one fresh schema, as n Herald processes
// sharing a database would, with accounts x (twitter) and fb (facebook) and
// sources mexico and business.
func instances(t *testing.T, n int) []*postgres.DB {
	return openInstances(t, n, herald.SourceSpec{Name: "mexico", URL: "https://example.com/mexico.xml"},
		herald.SourceSpec{Name: "business", URL: "https://example.com/business.xml"})
}

// openInstances opens n handles on one fresh schema with accounts x
// (twitter) and fb (facebook) and the sources given.
func openInstances(tb testing.TB, n int, sources ...herald.SourceSpec) []*postgres.DB {
	tb.Helper()
	dsn := newSchema(tb)
	dbs := make([]*postgres.DB, n)
	for i := range dbs {
		dbs[i] = openTest(tb, dsn)
	}
	ctx := tb.Context()
	if err := dbs[0].SyncAccounts(ctx, []herald.Account{{ID: "x", Network: herald.Twitter}, {ID: "fb", Network: herald.Facebook}}); err != nil {
		tb.Fatal(err)
	}
	if err := dbs[0].SyncSources(ctx, sources); err != nil {
		tb.Fatal(err)
	}
	return dbs
}

func sourceID(t *testing.T, db *postgres.DB, name string) int64 {
	t.Helper()
	s, err := db.GetSource(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

func stories(from, n int, targets ...string) []herald.ArticleInput {
	items := make([]herald.ArticleInput, n)
	for i := range items {
		k := from + i
		items[i] = herald.ArticleInput{URL: fmt.Sprintf("https://example.com/news/%d", k), GUID: fmt.Sprintf("g%d", k),
			Title: fmt.Sprintf("Story %d", k), PublishedAt: t0.Add(-time.Duration(k) * time.Second),
			Announce: true, Targets: targets}
	}
	return items
}

// count runs a count(*) query.
func count(t *testing.T, db *postgres.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// claimed is a row an instance claimed: its ID and, for messages, its name.
type claimed struct {
	id   int64
	name string
}

// claimEverywhere runs two workers on each instance; each calls claim until
// it claims nothing (at most rounds times) and then use, if set, on each row
// it claimed. A row claimed twice fails the test. It returns the worker that
// claimed each row.
func claimEverywhere(t *testing.T, dbs []*postgres.DB, rounds int,
	claim func(db *postgres.DB, name string) ([]claimed, error), use func(db *postgres.DB, name string, id int64)) map[int64]string {
	t.Helper()
	var mu sync.Mutex
	owner := map[int64]string{}
	var wg sync.WaitGroup
	for i, db := range dbs {
		for w := range 2 {
			name := fmt.Sprintf("instance-%d/%d", i, w)
			wg.Go(func() {
				for range rounds { // bounded: every round but the last claims a row
					cs, err := claim(db, name)
					if err != nil {
						t.Error(err)
						return
					}
					if len(cs) == 0 {
						return
					}
					for _, c := range cs {
						mu.Lock()
						if prev, dup := owner[c.id]; dup {
							t.Errorf("%s claimed by %s and %s", c.name, prev, name)
						}
						owner[c.id] = name
						mu.Unlock()
						if use != nil {
							use(db, name, c.id)
						}
					}
				}
			})
		}
	}
	wg.Wait()
	return owner
}

func TestInstancesClaimEachJobOnce(t *testing.T) {
	dbs := instances(t, 3)
	ctx := t.Context()
	const n = 150
	for i := 0; i < n; i += 50 {
		if _, err := dbs[0].SaveArticles(ctx, sourceID(t, dbs[0], "mexico"), stories(i, 50, "x", "fb"), t0); err != nil {
			t.Fatal(err)
		}
	}
	owner := claimEverywhere(t, dbs, 2*n, func(db *postgres.DB, name string) ([]claimed, error) {
		opts := herald.ClaimOptions{Owner: name, Now: t0, Lease: time.Minute,
			Accounts: map[string]time.Duration{"x": 0, "fb": 0}, PerAccount: 3, Limit: 4}
		js, err := db.ClaimJobs(ctx, opts)
		var cs []claimed
		for _, j := range js {
			cs = append(cs, claimed{j.ID, fmt.Sprintf("job %d", j.ID)})
		}
		return cs, err
	}, func(db *postgres.DB, name string, id int64) {
		if err := db.StartAttempt(ctx, id, name, t0, time.Minute); err != nil {
			t.Error(err)
			return
		}
		if err := db.FinishJob(ctx, id, name, herald.Outcome{State: herald.JobSent,
			RemoteID: fmt.Sprint(id), Attempted: true}, t0); err != nil {
			t.Error(err)
		}
	})
	if len(owner) != 2*n {
		t.Errorf("claimed %d jobs, want %d", len(owner), 2*n)
	}
	if got := count(t, dbs[1], `SELECT count(*) FROM jobs WHERE state = 'sent' AND attempts = 1`); got != 2*n {
		t.Errorf("jobs sent with one attempt = %d, want %d", got, 2*n)
	}
	if got := count(t, dbs[2], `SELECT count(*) FROM attempts`); got != 2*n {
		t.Errorf("attempts = %d, want %d", got, 2*n)
	}
	instancesSeen := map[string]bool{}
	for _, o := range owner {
		instancesSeen[o[:len("instance-0")]] = true
	}
	t.Logf("jobs spread over %d instances", len(instancesSeen))
}

func TestInstancesClaimEachSourceOnce(t *testing.T) {
	dbs := instances(t, 3)
	ctx := t.Context()
	specs := make([]herald.SourceSpec, 120)
	for i := range specs {
		specs[i] = herald.SourceSpec{Name: fmt.Sprintf("feed-%03d", i), URL: fmt.Sprintf("https://example.com/%d.xml", i)}
	}
	if err := dbs[1].SyncSources(ctx, specs); err != nil {
		t.Fatal(err)
	}
	owner := claimEverywhere(t, dbs, len(specs), func(db *postgres.DB, name string) ([]claimed, error) {
		ss, err := db.ClaimSources(ctx, name, t0, time.Minute, 7)
		var cs []claimed
		for _, s := range ss {
			cs = append(cs, claimed{s.ID, "source " + s.Name})
		}
		return cs, err
	}, nil)
	if len(owner) != len(specs) {
		t.Errorf("claimed %d sources, want %d", len(owner), len(specs))
	}
}

func TestInstancesSaveSameStories(t *testing.T) {
	dbs := instances(t, 2)
	ctx := t.Context()
	srcs := []int64{sourceID(t, dbs[0], "mexico"), sourceID(t, dbs[0], "business")}
	const rounds, perRound = 10, 8
	for r := range rounds {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 6 {
			db, src := dbs[i%2], srcs[(i/2)%2]
			wg.Go(func() {
				<-start
				if _, err := db.SaveArticles(ctx, src, stories(r*perRound, perRound, "x", "fb"), t0); err != nil {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
	}
	if got := count(t, dbs[0], `SELECT count(*) FROM articles`); got != rounds*perRound {
		t.Errorf("articles = %d, want %d", got, rounds*perRound)
	}
	if got := count(t, dbs[0], `SELECT count(*) FROM jobs`); got != 2*rounds*perRound {
		t.Errorf("jobs = %d, want one per article and account (%d)", got, 2*rounds*perRound)
	}
	if got := count(t, dbs[1], `SELECT count(*) FROM article_sources`); got != 2*rounds*perRound {
		t.Errorf("article links = %d, want each article in both sources (%d)", got, 2*rounds*perRound)
	}
	ss, err := dbs[1].ListSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.ArticleCount != rounds*perRound {
			t.Errorf("%s article count = %d, want %d", s.Name, s.ArticleCount, rounds*perRound)
		}
	}
}

func TestInstancesKeepSpacing(t *testing.T) {
	dbs := instances(t, 3)
	ctx := t.Context()
	if _, err := dbs[0].SaveArticles(ctx, sourceID(t, dbs[0], "mexico"), stories(0, 20, "x"), t0); err != nil {
		t.Fatal(err)
	}
	const spacing = 10 * time.Minute
	var sends []time.Time
	// An hour, minute by minute; at each minute all three instances (two
	// dispatchers each) claim at the same moment.
	for m := range 60 {
		now := t0.Add(time.Duration(m) * time.Minute)
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 * len(dbs) {
			db, name := dbs[i%len(dbs)], fmt.Sprintf("instance-%d", i)
			wg.Go(func() {
				<-start
				js, err := db.ClaimJobs(ctx, herald.ClaimOptions{Owner: name, Now: now, Lease: time.Minute,
					Accounts: map[string]time.Duration{"x": spacing}, PerAccount: 5})
				if err != nil {
					t.Error(err)
					return
				}
				for _, j := range js {
					if err := db.FinishJob(ctx, j.ID, name, herald.Outcome{State: herald.JobSent, RemoteID: "r",
						SentAt: now, Attempted: true}, now); err != nil {
						t.Error(err)
					}
					mu.Lock()
					sends = append(sends, now)
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
	}
	if len(sends) != 6 {
		t.Errorf("sent %d posts in an hour with 10 min spacing, want 6: %v", len(sends), sends)
	}
	for i := 1; i < len(sends); i++ {
		if gap := sends[i].Sub(sends[i-1]); gap < spacing {
			t.Errorf("posts %d and %d only %v apart", i-1, i, gap)
		}
	}
}

func TestInstanceDiesMidSend(t *testing.T) {
	dbs := instances(t, 2)
	ctx := t.Context()
	rs, err := dbs[0].SaveArticles(ctx, sourceID(t, dbs[0], "mexico"), stories(0, 1, "x"), t0)
	if err != nil {
		t.Fatal(err)
	}
	id := rs[0].Jobs[0]
	opts := herald.ClaimOptions{Owner: "a", Now: t0, Lease: 30 * time.Second, Accounts: map[string]time.Duration{"x": 0}}
	if js, err := dbs[0].ClaimJobs(ctx, opts); err != nil || len(js) != 1 {
		t.Fatalf("claim = %v, %v", js, err)
	}
	if err := dbs[0].StartAttempt(ctx, id, "a", t0, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	dbs[0].Close() // instance a dies mid-send

	opts.Owner = "b"
	opts.Now = t0.Add(20 * time.Second)
	if js, err := dbs[1].ClaimJobs(ctx, opts); err != nil || len(js) != 0 {
		t.Fatalf("claim while a's lease runs = %v, %v", js, err)
	}
	opts.Now = t0.Add(31 * time.Second)
	js, err := dbs[1].ClaimJobs(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || js[0].ID != id || !js[0].Reconcile || js[0].State != herald.JobSending {
		t.Fatalf("claim after a's lease = %+v, want job %d in sending with Reconcile", js, id)
	}
	var outcome string
	if err := dbs[1].Pool().QueryRow(ctx, `SELECT outcome FROM attempts WHERE job_id = $1`, id).Scan(&outcome); err != nil {
		t.Fatal(err)
	}
	if outcome != string(herald.ErrUnknownOutcome) {
		t.Errorf("a's attempt outcome = %q, want %s", outcome, herald.ErrUnknownOutcome)
	}
}

func TestInstancesTryLock(t *testing.T) {
	dbs := instances(t, 4)
	for round := range 5 {
		now := t0.Add(time.Duration(round) * 2 * time.Minute) // each round after the last lease
		var mu sync.Mutex
		var winners []string
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, db := range dbs {
			wg.Go(func() {
				<-start
				ok, err := db.TryLock(t.Context(), "collector", fmt.Sprintf("instance-%d", i), now, time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					winners = append(winners, fmt.Sprint(i))
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if len(winners) != 1 {
			t.Errorf("round %d: lock taken by %v, want exactly one", round, winners)
		}
	}
}

func TestMigrateConcurrently(t *testing.T) {
	dsn := newSchema(t) // not created yet: Migrate creates it
	const n = 6
	dbs := make([]*postgres.DB, n)
	for i := range dbs {
		db, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	var wg sync.WaitGroup
	for _, db := range dbs {
		wg.Go(func() {
			if err := db.Migrate(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	files, err := os.ReadDir("migrations") // NNNN_name.sql, numbered from 1
	if err != nil {
		t.Fatal(err)
	}
	want := len(files)
	for i, db := range dbs {
		v, err := db.SchemaVersion(t.Context())
		if err != nil || v != want {
			t.Errorf("instance %d: schema version %d, %v; want %d", i, v, err, want)
		}
	}
	if got := count(t, dbs[0], `SELECT count(*) FROM schema_migrations`); got != len(files) {
		t.Errorf("migrations recorded = %d, want %d", got, len(files))
	}
}

func TestJobsAreNotified(t *testing.T) {
	dbs := instances(t, 2)
	ctx := t.Context()
	conn, err := pgx.ConnectConfig(ctx, dbs[1].Pool().Config().ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `LISTEN `+postgres.JobsChannel); err != nil {
		t.Fatal(err)
	}
	if _, err := dbs[0].SaveArticles(ctx, sourceID(t, dbs[0], "mexico"), stories(0, 1, "x"), t0); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := conn.WaitForNotification(wait)
	if err != nil {
		t.Fatalf("no notification of the new job: %v", err)
	}
	if n.Channel != postgres.JobsChannel {
		t.Errorf("notified on %q", n.Channel)
	}
}

func TestListen(t *testing.T) {
	dbs := instances(t, 2)
	ctx, cancel := context.WithCancel(t.Context())
	woken := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- dbs[1].Listen(ctx, "herald_test", func() {
			select {
			case woken <- struct{}{}:
			default:
			}
		})
	}()
	// Listen subscribes asynchronously: notify until it hears one.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
wait:
	for {
		select {
		case <-woken:
			break wait
		case err := <-done:
			t.Fatalf("Listen returned early: %v", err)
		case <-deadline:
			t.Fatal("no notification heard in 10 s")
		case <-tick.C:
			if err := dbs[0].Notify(t.Context(), "herald_test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Listen after cancel = %v, want nil", err)
	}
}

func TestOpenKeepsPasswordOutOfErrors(t *testing.T) {
	for _, dsn := range []string{
		"postgres://herald:hunter2@127.0.0.1:notaport/herald",
		"postgres://herald:hunter2@127.0.0.1:1/herald?connect_timeout=1",
	} {
		db, err := postgres.Open(t.Context(), dsn)
		if err == nil {
			db.Close()
			t.Fatalf("Open(%q) succeeded", dsn)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
}

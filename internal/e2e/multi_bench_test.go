package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/testkit"
)

// TestMultiInstanceDispatchRate measures how many jobs per second 1, 2 and
// 3 `herald run` processes sharing one PostgreSQL schema send to the X
// emulation with spacing off (16 accounts, no faults, the default
// dispatch.concurrency of 8 calls in flight per instance): HERALD_BENCH_JOBS
// jobs (default 5,000) are created in the store due at one instant, with
// the instances already running, and the rate is the jobs over the time
// from that instant to the emulation's last post. It runs twice: with the
// emulation answering at once, where every process shares the machine's
// cores and the rate is what the cores allow, and with each post answered
// after HERALD_BENCH_LATENCY (default 10 ms; X itself takes far longer),
// where an instance's rate is bounded by its calls in flight and more
// instances add more. It is a benchmark, run only with
// HERALD_BENCH_MULTI=1; its figures are logged, not asserted.
func TestMultiInstanceDispatchRate(t *testing.T) {
	if os.Getenv("HERALD_BENCH_MULTI") != "1" {
		t.Skip("a benchmark: set HERALD_BENCH_MULTI=1 to run it")
	}
	needBinary(t)
	n := 5000
	if s := os.Getenv("HERALD_BENCH_JOBS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 16 {
			t.Fatalf("HERALD_BENCH_JOBS=%q: want a whole number ≥ 16", s)
		}
		n = v
	}
	latency := 10 * time.Millisecond
	if s := os.Getenv("HERALD_BENCH_LATENCY"); s != "" {
		v, err := time.ParseDuration(s)
		if err != nil || v <= 0 {
			t.Fatalf("HERALD_BENCH_LATENCY=%q: want a positive duration such as 10ms", s)
		}
		latency = v
	}
	for _, lat := range []time.Duration{0, latency} {
		for k := 1; k <= 3; k++ {
			t.Run(fmt.Sprintf("latency=%s/instances=%d", lat, k), func(t *testing.T) {
				rate := dispatchRate(t, k, n, lat)
				t.Logf("%d instance(s), answers after %s: %d jobs in %s = %.0f jobs/s", k, lat, n,
					time.Duration(float64(n)/rate*float64(time.Second)).Round(time.Millisecond), rate)
			})
		}
	}
}

// dispatchRate runs k instances on a fresh schema with n jobs due at one
// instant, each post answered after latency, and returns the jobs sent per
// second.
func dispatchRate(t *testing.T, k, n int, latency time.Duration) float64 {
	accts := newXAccounts(16)
	site := newMultiSite(t, accts, 0, "bench")
	x := site.x
	emulatortest.Faults(x).Set(0, 0, 0, latency, 1)
	cfg := site.write(t, multiConfig{interval: time.Hour, extra: "dispatch: {lease: 10s, timeout: 5s}\n"})

	db := openPG(t, site.dsn)
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ins := site.startInstances(t, cfg, "b", k)

	made := time.Now()
	due := createDueJobs(t, db, accts, n)
	t.Logf("%d jobs created in %s", n, due.Sub(made).Round(time.Millisecond)-dueDelay)
	testkit.WaitFor(t, fmt.Sprintf("%d posts", n), 120*time.Second, func() bool { return len(x.Posts()) >= n })
	posts := x.Posts()
	last := slices.MaxFunc(posts, func(a, b emulator.XPost) int { return a.CreatedAt.Compare(b.CreatedAt) }).CreatedAt
	for _, in := range ins {
		if code, _ := in.d.stop(t, syscall.SIGTERM, 15*time.Second); code != 0 {
			t.Errorf("%s: exit status %d after SIGTERM", in.id, code)
		}
	}
	if len(posts) != n || jobCount(db, herald.JobSent) != n {
		t.Errorf("%d posts and %d jobs sent, want %d of each", len(posts), jobCount(db, herald.JobSent), n)
	}
	for _, in := range ins {
		t.Logf("%s sent %d", in.id, in.logCount("post sent"))
	}
	return float64(n) / last.Sub(due).Seconds()
}

// dueDelay is how long after their creation the benchmark's jobs fall due.
const dueDelay = 1500 * time.Millisecond

// createDueJobs creates n jobs, spread over accts (one article per job
// group), due at one instant dueDelay after they are all created, and
// returns that instant.
func createDueJobs(t *testing.T, db *postgres.DB, accts []xAccount, n int) time.Time {
	t.Helper()
	ctx := context.Background()
	srcs, err := db.ListSources(ctx)
	if err != nil || len(srcs) != 1 {
		t.Fatalf("sources %v: %v", srcs, err)
	}
	now := time.Now()
	items := make([]herald.ArticleInput, (n+len(accts)-1)/len(accts))
	for i := range items {
		link := fmt.Sprintf("https://news.example/bench/story-%d", i)
		items[i] = herald.ArticleInput{URL: link, GUID: link, Title: fmt.Sprintf("Bench story %d", i), PublishedAt: now}
	}
	saved, err := db.SaveArticles(ctx, srcs[0].ID, items, now)
	if err != nil {
		t.Fatal(err)
	}
	far := now.Add(time.Hour)
	var mu sync.Mutex
	var ids []int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range n {
		art, acct := saved[i/len(accts)].Article, accts[i%len(accts)]
		g.Go(func() error {
			j, err := db.CreateJob(gctx, herald.NewJob{ArticleID: art.ID, Account: acct.id, Kind: herald.KindRepost,
				Template: "{{.Title}} {{.URL}}", DueAt: far}, now)
			mu.Lock()
			ids = append(ids, j.ID)
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	// All due at once, as one statement, once they all exist; a little
	// later, so that every instance, which looks at the queue at least once
	// a second, is already waiting for that instant.
	due := time.Now().Add(dueDelay)
	if _, err := db.Pool().Exec(ctx, `UPDATE jobs SET next_attempt_at = $1 WHERE id = ANY($2)`, due.UnixMilli(), ids); err != nil {
		t.Fatal(err)
	}
	return due
}

package dispatch

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/metrics/metricstest"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// runDispatcher runs d in the background until the test ends.
func runDispatcher(t *testing.T, d *Dispatcher) (stop func() error) {
	t.Helper()
	run := testkit.Run(t, 30*time.Second, d.Run)
	stop = func() error {
		err := run()
		d.wg.Wait() // sends past ShutdownWait must not log after the test
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func TestWakeSendsAtOnce(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	x := newFake(herald.Twitter, time.Now)
	accts := []Account{xAccount("x", x)}
	fx.sync(accts...)
	// With a one-hour idle timer only Wake can explain a prompt send.
	d := fx.dispatcher(accts, Options{Now: time.Now, MaxIdle: time.Hour})
	stop := runDispatcher(t, d)
	testkit.WaitFor(t, "the first idle look at the queue", time.Minute, func() bool { return fx.logs.Count("dispatcher started") == 1 })
	time.Sleep(20 * time.Millisecond)

	fx.clock.Set(time.Now())
	fx.articles(1, "x")
	d.Wake()
	testkit.WaitFor(t, "the post", time.Minute, func() bool { return len(x.Posts()) == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// heldFirstCall is a fixture on the wall clock with one X account "x" on a
// fake network whose first call closes started, then waits for release.
func heldFirstCall(t *testing.T) (fx *fixture, x *fakePub, accts []Account, started, release chan struct{}) {
	t.Helper()
	fx = newFixture(t)
	x = newFake(herald.Twitter, time.Now)
	started, release = make(chan struct{}), make(chan struct{})
	x.publish = func(call int, _ herald.Message) (bool, error) {
		if call == 1 {
			close(started)
			<-release
		}
		return true, nil
	}
	accts = []Account{xAccount("x", x)}
	fx.sync(accts...)
	fx.clock.Set(time.Now())
	return fx, x, accts, started, release
}

// nextDueLog counts the looks at the queue's next due time.
type nextDueLog struct {
	Store
	n atomic.Int64
}

func (l *nextDueLog) NextDue(ctx context.Context) (time.Time, error) {
	l.n.Add(1)
	return l.Store.NextDue(ctx)
}

// TestBusyAccountsLeaveTheQueueAlone: while every account is sending,
// nothing can be claimed before a batch ends, and its end wakes Run; so Run
// does not ask for the next due time, a query that reads every pending job.
func TestBusyAccountsLeaveTheQueueAlone(t *testing.T) {
	t.Parallel()
	fx, x, accts, started, release := heldFirstCall(t)
	fx.articles(2, "x")
	var turns atomic.Int64 // Run reads the clock once a turn of its loop
	store := &nextDueLog{Store: fx.store}
	d, err := New(store, accts, Options{Owner: "test", MaxIdle: time.Millisecond,
		Now: func() time.Time { turns.Add(1); return time.Now() }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := runDispatcher(t, d)
	<-started
	looks, from := store.n.Load(), turns.Load()
	testkit.WaitFor(t, "20 turns of Run's loop", time.Minute, func() bool { return turns.Load() >= from+20 })
	if n := store.n.Load() - looks; n != 0 {
		t.Errorf("%d looks at the next due time while the only account was sending, want 0", n)
	}
	close(release)
	testkit.WaitFor(t, "both posts", time.Minute, func() bool { return len(x.Posts()) == 2 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestShutdownFinishesInFlightAndGivesBackTheRest(t *testing.T) {
	t.Parallel()
	fx, x, accts, started, release := heldFirstCall(t)
	ids := fx.articles(3, "x")
	d := fx.dispatcher(accts, Options{Now: time.Now, ShutdownWait: 10 * time.Second})
	stop := runDispatcher(t, d)
	<-started

	errc := make(chan error, 1)
	go func() { errc <- stop() }()
	time.Sleep(50 * time.Millisecond) // let the cancellation reach Run
	close(release)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if j := fx.job(ids[0]); j.State != herald.JobSent {
		t.Fatalf("in-flight job is %s, want sent (finished despite the shutdown)", j.State)
	}
	for _, id := range ids[1:] {
		if j := fx.job(id); j.State != herald.JobPending || j.ClaimedBy != "" || j.Attempts != 0 {
			t.Fatalf("unstarted job %d: %s claimed by %q attempts %d, want given back untouched", id, j.State, j.ClaimedBy, j.Attempts)
		}
	}
	if x.Calls() != 1 {
		t.Fatalf("%d calls after shutdown began, want 1", x.Calls())
	}
}

func TestShutdownWaitIsBounded(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	x := newFake(herald.Twitter, time.Now)
	started := make(chan struct{})
	x.publish = func(call int, _ herald.Message) (bool, error) {
		close(started)
		time.Sleep(300 * time.Millisecond) // a slow API, within the call timeout
		return true, nil
	}
	accts := []Account{xAccount("x", x)}
	fx.sync(accts...)
	fx.clock.Set(time.Now())
	id := fx.articles(1, "x")[0]
	d := fx.dispatcher(accts, Options{Now: time.Now, ShutdownWait: 20 * time.Millisecond})
	stop := runDispatcher(t, d)
	<-started
	if err := stop(); err != nil { // also waits for the send, to check its outcome
		t.Fatal(err)
	}
	if fx.logs.Count("dispatcher stopped with sends in flight") != 1 {
		t.Fatal("Run did not give up waiting after ShutdownWait")
	}
	if j := fx.job(id); j.State != herald.JobSent {
		t.Fatalf("job %s: a send that outlived shutdown must still be recorded", j.State)
	}
}

func TestTwoInstancesNeverSendAJobTwice(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	fx := &fixture{t: t, store: teststore.SQLiteAt(t, path), clock: testkit.NewClock(time.Now())}
	fakes := map[string]*fakePub{}
	var accts []Account
	for _, id := range []string{"x1", "x2", "fb"} {
		fakes[id] = newFake(herald.Twitter, time.Now)
		// A little latency, so both instances have work in flight together.
		fakes[id].publish = func(int, herald.Message) (bool, error) { time.Sleep(200 * time.Microsecond); return true, nil }
		accts = append(accts, xAccount(id, fakes[id]))
	}
	fx.sync(accts...)
	other := teststore.SQLiteAt(t, path)

	var ds []*Dispatcher
	for i, st := range []herald.Store{fx.store, other} {
		d, err := New(st, accts, Options{Owner: fmt.Sprintf("instance-%d", i), Now: time.Now, PerAccount: 3},
			testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
		runDispatcher(t, d)
	}
	const stories = 60
	for i := 0; i < stories; i += 10 {
		fx.clock.Set(time.Now())
		fx.articles(10, "x1", "x2", "fb")
		ds[i/10%2].Wake()
	}
	testkit.WaitFor(t, "every job sent", time.Minute, func() bool { return fx.states()[herald.JobSent] == 3*stories })
	for id, f := range fakes {
		seen := map[string]int{}
		for _, p := range f.Posts() {
			seen[p.Link]++
		}
		if len(f.Posts()) != stories || len(seen) != stories {
			t.Errorf("%s: %d posts of %d stories, want %d once each", id, len(f.Posts()), len(seen), stories)
		}
	}
	for _, j := range mustList(t, fx.store) {
		if j.Attempts != 1 {
			t.Errorf("job %d took %d attempts", j.ID, j.Attempts)
		}
	}
}

func mustList(t *testing.T, s herald.Store) []herald.Job {
	t.Helper()
	jobs, err := s.ListJobs(context.Background(), herald.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	x := newFake(herald.Twitter, fx.clock.Now)
	x.publish = func(call int, _ herald.Message) (bool, error) {
		if call == 1 {
			return false, &herald.Error{Kind: herald.ErrRetryable, Status: 502}
		}
		return true, nil
	}
	accts := []Account{xAccount("x", x)}
	fx.sync(accts...)
	fx.articles(3, "x")
	reg := metrics.NewSet()
	d := fx.dispatcher(accts, Options{Metrics: NewMetrics(reg)})
	fx.runOnce(d)
	d.refreshGauge(context.Background())

	got := metricstest.Scrape(t, reg)
	for key, want := range map[string]float64{
		`herald_sends_total{account="x",outcome="sent"}`:                         2,
		`herald_sends_total{account="x",outcome="retryable"}`:                    1,
		`herald_api_latency_seconds{account="x",network="twitter",op="publish"}`: 3,
		`herald_jobs{state="sent"}`:                                              2,
		`herald_jobs{state="pending"}`:                                           1,
		`herald_account_paused{account="x"}`:                                     0,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
}

func TestTokenExpiryWarnsSevenDaysAhead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   time.Duration
		warn bool
	}{{6 * 24 * time.Hour, true}, {8 * 24 * time.Hour, false}, {-time.Hour, true}} {
		fx := newFixture(t)
		fb := newFake(herald.Facebook, fx.clock.Now)
		fb.ident = herald.Identity{ID: "1", Name: "Page", Expires: t0.Add(tc.in)}
		accts := []Account{{ID: "fb", Network: herald.Facebook, Publisher: fb}, xAccount("x", newFake(herald.Twitter, fx.clock.Now))}
		fx.sync(accts...)
		d := fx.dispatcher(accts, Options{})
		d.CheckTokens(context.Background())
		h, err := d.Health(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].ID != "fb" || !h[0].TokenExpiresAt.Equal(t0.Add(tc.in)) || !h[1].OK() {
			t.Fatalf("health %+v", h)
		}
		if warned := !h[0].OK(); warned != tc.warn || (fx.logs.Count("token needs renewing") == 1) != tc.warn {
			t.Errorf("token expiring in %s: health warnings %v, log %d; want warning=%v", tc.in, h[0].Warnings,
				fx.logs.Count("token needs renewing"), tc.warn)
		}
	}
}

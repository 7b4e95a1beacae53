package e2e

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// shutdownFixture is a daemon about to send 18 posts (2 backfilled stories
// in each of 3 feeds, to 3 accounts) to emulations that take delay to
// answer each post.
type shutdownFixture struct {
	feeds   *feedServer
	e       *emulations
	db      string
	dir     string
	args    []string
	env     []string
	backlog []story
}

func newShutdownFixture(t *testing.T, delay time.Duration, dispatchYAML string) *shutdownFixture {
	t.Helper()
	f := &shutdownFixture{feeds: startFeeds(t, sections...), e: startEmulations(t), dir: t.TempDir()}
	emulatortest.Faults(f.e.x).Set(0, 0, 0, delay, 1)
	emulatortest.Faults(f.e.graph).Set(0, 0, 0, delay, 2)
	f.backlog = addBacklog(f.feeds, 2)
	f.db = filepath.Join(f.dir, "herald.db")
	cfg := writeConfig(t, f.dir, f.db, f.feeds, f.e, "publish: {backfill: 2}\n"+dispatchYAML)
	f.args = []string{"--config", cfg, "run"}
	// Retry, reconciliation and rate-limit waits 100 times shorter than by
	// default (the keys under dispatch are the test's own).
	f.env = []string{"HERALD_DISPATCH_BACKOFF_BASE=300ms", "HERALD_DISPATCH_BACKOFF_MAX=18s",
		"HERALD_DISPATCH_RECONCILE_DELAY=50ms", "HERALD_DISPATCH_RATE_LIMIT_WAIT=600ms",
		"HERALD_ACCOUNTS_FB_PAGE_RATE_LIMIT_WAIT=9s", "HERALD_ACCOUNTS_FB_PAGE_BLOCKED_WAIT=36s"}
	return f
}

// startSending starts the daemon and returns once posts are on the wire:
// received by an emulation, which answers them after the delay. (A job in
// sending may not have been called yet: a stop before its call gives it
// back unsent.)
func (f *shutdownFixture) startSending(t *testing.T) *daemon {
	t.Helper()
	d := startDaemon(t, f.dir, f.env, f.args...)
	testkit.WaitFor(t, "6 new articles", 15*time.Second, func() bool { return len(d.logs.entries("new article")) == 6 })
	testkit.WaitFor(t, "posts on the wire", 5*time.Second, func() bool {
		return emulatortest.Faults(f.e.x).Arrived()+emulatortest.Faults(f.e.graph).Arrived() > 0
	})
	return d
}

// TestSIGTERMLetsSendsInFlightFinish: SIGTERM while posts are on the wire
// stops intake, lets those sends finish and record their outcome, and
// exits 0; no job is left in sending.
func TestSIGTERMLetsSendsInFlightFinish(t *testing.T) {
	t.Parallel()
	needBinary(t)
	f := newShutdownFixture(t, 1500*time.Millisecond, "dispatch: {lease: 4s, timeout: 3s, shutdown_wait: 4s}\n")
	d := f.startSending(t)

	code, took := d.stop(t, syscall.SIGTERM, 4*time.Second+6*time.Second)
	if code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, d.logs.tail(20))
	}
	t.Logf("stopped %s after SIGTERM", took.Round(time.Millisecond))
	states := jobStates(t, f.db)
	made := len(f.e.x.Posts()) + len(f.e.graph.Posts())
	if states[herald.JobSending] != 0 || states[herald.JobSent] != made || made == 0 {
		t.Errorf("jobs by state %v with %d posts made: want none sending and one sent job per post", states, made)
	}
	if len(d.logs.entries("dispatcher stopped")) != 1 {
		t.Errorf("the dispatcher did not stop with its sends finished:\n%s", d.logs.tail(15))
	}
}

// TestShutdownWaitBoundsTheStop: with sends slower than
// dispatch.shutdown_wait, SIGTERM still exits 0 promptly; the jobs left in
// sending are taken over after their lease by the next run, reconciled, and
// every story is posted exactly once.
func TestShutdownWaitBoundsTheStop(t *testing.T) {
	t.Parallel()
	needBinary(t)
	f := newShutdownFixture(t, 2*time.Second, "dispatch: {lease: 3s, timeout: 2500ms, shutdown_wait: 300ms}\n")
	d := f.startSending(t)

	code, took := d.stop(t, syscall.SIGTERM, 6*time.Second)
	if code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, d.logs.tail(20))
	}
	t.Logf("stopped %s after SIGTERM", took.Round(time.Millisecond))
	if jobStates(t, f.db)[herald.JobSending] == 0 {
		t.Fatal("no job was left sending: the test did not stop the daemon mid-send")
	}

	emulatortest.Faults(f.e.x).Set(0, 0, 0, 0, 3)
	emulatortest.Faults(f.e.graph).Set(0, 0, 0, 0, 4)
	d = startDaemon(t, f.dir, f.env, f.args...)
	testkit.WaitFor(t, "every job sent", 20*time.Second, func() bool { return jobStates(t, f.db)[herald.JobSent] == 18 })
	if code, _ := d.stop(t, syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, d.logs.tail(20))
	}
	f.e.checkPosts(t, f.backlog)
}

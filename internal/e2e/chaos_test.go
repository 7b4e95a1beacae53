package e2e

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// TestChaosKilledDaemonPostsEveryStoryOnce is the dispatch chaos acceptance
// test: the emulations, hosted by the test so they survive the daemon, fail
// 30 % of posts with a 5xx, 10 % with a 429, and make 10 % of posts but drop
// the connection before answering; the real binary is killed with SIGKILL at
// random moments 10 times and restarted on the same SQLite file while 20
// stories appear in 3 feeds. Afterwards every job is sent and each account
// got each story exactly once.
func TestChaosKilledDaemonPostsEveryStoryOnce(t *testing.T) {
	t.Parallel()
	needBinary(t)
	// A 2 s lease: a job or source left by a killed daemon is taken over
	// 2 s later. Retry, reconciliation and rate-limit waits are about 1000
	// times shorter than by default.
	feeds, e, dir, db, cfg := newSite(t, "dispatch: {lease: 2s, timeout: 1s, shutdown_wait: 2s, max_attempts: 1000, "+
		"backoff_base: 30ms, backoff_max: 1800ms, reconcile_delay: 5ms, rate_limit_wait: 60ms}\n")
	emulatortest.Faults(e.x).Set(0.3, 0.1, 0.1, 0, 11)
	emulatortest.Faults(e.graph).Set(0.3, 0.1, 0.1, 0, 12)
	addBacklog(feeds, 3)
	env := []string{"HERALD_ACCOUNTS_FB_PAGE_RATE_LIMIT_WAIT=900ms", "HERALD_ACCOUNTS_FB_PAGE_BLOCKED_WAIT=3600ms"}
	args := []string{"--config", cfg, "run"}

	d := startDaemon(t, dir, env, args...)
	testkit.WaitFor(t, "the backlog recorded", 15*time.Second, func() bool { return seeded(t, db, sections...) })

	// Stories appear every 300 ms while the daemon is killed and restarted.
	var stories []story
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := range 20 {
			section, s := newStory(i)
			feeds.add(section, s)
			stories = append(stories, s)
			time.Sleep(300 * time.Millisecond)
		}
	}()
	rng := rand.New(rand.NewPCG(2026, 11))
	kills := 0
	var runs []*daemon
	for kills < 10 {
		time.Sleep(time.Duration(200+rng.IntN(900)) * time.Millisecond)
		if d.exited() {
			t.Fatalf("herald exited on its own: %v\n%s", d.err, d.logs.tail(30))
		}
		d.kill()
		kills++
		runs = append(runs, d)
		d = startDaemon(t, dir, env, args...)
	}
	<-published
	killed := time.Now()

	testkit.WaitFor(t, "every job sent", 40*time.Second, func() bool {
		if d.exited() {
			t.Fatalf("herald exited on its own: %v\n%s", d.err, d.logs.tail(30))
		}
		return jobStates(t, db)[herald.JobSent] == 60
	})
	t.Logf("every job sent %s after the last restart", time.Since(killed).Round(time.Millisecond))
	if code, _ := d.stop(t, syscall.SIGINT, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGINT:\n%s", code, d.logs.tail(30))
	}
	for _, j := range listJobs(t, db) {
		if j.State != herald.JobSent || j.RemoteID == "" {
			t.Errorf("job %d (%s): %s %s %q", j.ID, j.Account, j.State, j.SkipReason, j.LastError)
		}
	}
	e.checkPosts(t, stories)
	faults := map[string]int{}
	for _, r := range e.x.Requests() {
		faults[r.Route+" "+faultName(r.Fault)]++
	}
	runs = append(runs, d)
	found, resent := 0, 0
	for _, r := range runs {
		found += len(r.logs.entries("reconcile: post found, recorded as sent"))
		resent += len(r.logs.entries("reconcile: post not found, sending"))
	}
	t.Logf("%d kills; reconciled %d posts found, %d not found; X requests by route and fault: %v", kills, found, resent, faults)
	if found == 0 {
		t.Error("no post of unknown outcome was found by reconciliation")
	}
	if faults["POST /2/tweets drop"] == 0 || faults["POST /2/tweets 5xx"] == 0 || faults["POST /2/tweets 429"] == 0 {
		t.Error("not every kind of fault was injected; the test proves less than it claims")
	}
}

// faultName names an injected fault for the test's summary.
func faultName(f emulator.Fault) string {
	switch f {
	case emulator.FaultServerError:
		return "5xx"
	case emulator.FaultRateLimit:
		return "429"
	case emulator.FaultDrop:
		return "drop"
	}
	return "ok"
}

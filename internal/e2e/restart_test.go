package e2e

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/testkit"
)

// TestRestartsKeepCollecting: the collector gives its lock back when the
// daemon stops, so each of several restarts in a row runs a collection pass
// at once; after kill -9 the lock left behind ends within its short lease
// (renewed by a heartbeat while its holder lived), and the next daemon says
// at info level that another instance holds it until then.
func TestRestartsKeepCollecting(t *testing.T) {
	t.Parallel()
	needBinary(t)
	_, _, dir, _, cfg := newSite(t, "")
	args := []string{"--config", cfg, "run"}

	// firstPass waits for the daemon's first collection pass and returns how
	// long after the daemon logged its start the pass ended, by the log's
	// own timestamps.
	firstPass := func(d *daemon, limit time.Duration) time.Duration {
		t.Helper()
		testkit.WaitFor(t, "a collection pass", limit, func() bool { return len(d.logs.entries("collector pass")) > 0 })
		at := func(msg string) time.Time {
			ts, err := time.Parse(time.RFC3339Nano, fmt.Sprint(d.logs.entries(msg)[0]["time"]))
			if err != nil {
				t.Fatalf("%q: %v", msg, err)
			}
			return ts
		}
		return at("collector pass").Sub(at("herald starting"))
	}
	for i := range 4 {
		d := startDaemon(t, dir, nil, args...)
		took := firstPass(d, 15*time.Second)
		t.Logf("start %d: first collection pass %s after the start", i+1, took.Round(time.Millisecond))
		if code, _ := d.stop(t, syscall.SIGTERM, 10*time.Second); code != 0 {
			t.Fatalf("exit status %d after SIGTERM:\n%s", code, d.logs.tail(20))
		}
	}

	// A killed daemon cannot give the lock back: it lapses within the lease.
	d := startDaemon(t, dir, nil, args...)
	firstPass(d, 15*time.Second)
	d.kill()
	d = startDaemon(t, dir, nil, args...)
	took := firstPass(d, 60*time.Second)
	t.Logf("after kill -9: first collection pass %s after the start", took.Round(time.Millisecond))
	if len(d.logs.entries("lock held by another live instance; this one waits for it")) == 0 {
		t.Errorf("the daemon did not say that the lock was held:\n%s", d.logs.tail(20))
	}
	if code, _ := d.stop(t, syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, d.logs.tail(20))
	}
}

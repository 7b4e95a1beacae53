package app

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/heraldhq/herald/internal/testkit"
)

// burstSink keeps the compiler from dropping the test's allocations.
var burstSink []byte

func TestNotifyGC(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	gcs := make(chan struct{}, 1)
	notifyGC(ctx, gcs)
	// Two notifications: the first cleanup attached the next one.
	for i := range 2 {
		got := false
		for range 100 {
			runtime.GC()
			select {
			case <-gcs:
				got = true
			case <-time.After(50 * time.Millisecond):
			}
			if got {
				break
			}
		}
		if !got {
			t.Fatalf("no notification %d after 100 collections", i+1)
		}
	}
}

// watchLog is a memoryWatch's record of what it did, in order: the
// collector targets it set ("target 200") and its releases ("release").
type watchLog struct {
	mu     sync.Mutex
	events []string
}

func (l *watchLog) add(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *watchLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// has reports whether the log holds want, in a row.
func (l *watchLog) has(want ...string) bool {
	got := l.get()
	for i := range got {
		if len(got)-i >= len(want) && slices.Equal(got[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

// watch is a memoryWatch that boosts after 64 MiB and records into l.
func (l *watchLog) watch() *memoryWatch {
	return &memoryWatch{boostAfter: 64 << 20, releaseMin: releaseMin,
		release: func() { l.add("release") },
		setPercent: func(p int) int {
			l.add(fmt.Sprintf("target %d", p))
			return 0
		}}
}

// burst allocates n MiB, a megabyte at a time, without pausing.
func burst(n int) {
	for range n {
		burstSink = make([]byte, 1<<20)
	}
	burstSink = nil
}

func TestReleaseAfterBursts(t *testing.T) {
	var l watchLog
	stop := l.watch().start(t.Context())
	defer stop()
	// A burst: twice releaseMin allocated, then quiet.
	burst(2 * releaseMin >> 20)
	runtime.GC()
	testkit.WaitFor(t, "a release after a burst", time.Minute, func() bool { return l.has("release") })
	// Below boostAfter: the target stays the daemon's.
	if got := l.get(); slices.ContainsFunc(got, func(e string) bool { return e != "release" }) {
		t.Errorf("a short burst changed the collector's target: %v", got)
	}
}

// TestBoostLongBursts: a burst that goes on past boostAfter has the
// collector's target raised for its rest; its end puts the daemon's back,
// then releases.
func TestBoostLongBursts(t *testing.T) {
	var l watchLog
	stop := l.watch().start(t.Context())
	defer stop()
	boost := fmt.Sprintf("target %d", BurstGCPercent)
	for deadline := time.Now().Add(30 * time.Second); !l.has(boost); {
		if time.Now().After(deadline) {
			t.Fatalf("30 s of allocation, and the target was not raised: %v", l.get())
		}
		burst(8)
	}
	testkit.WaitFor(t, "the target put back, then a release", time.Minute, func() bool {
		return l.has(boost, fmt.Sprintf("target %d", DaemonGCPercent), "release")
	})
}

// TestReleaseMemoryEmptiesPools: what a burst left in a sync.Pool is
// collected by the release, not kept in the pool's victim cache until the
// next collection.
func TestReleaseMemoryEmptiesPools(t *testing.T) {
	var pool sync.Pool
	buf := new([1 << 20]byte)
	held := weak.Make(buf)
	pool.Put(buf)
	buf = nil
	releaseMemory()
	if held.Value() != nil {
		t.Error("a pooled buffer outlived the release")
	}
	runtime.KeepAlive(&pool)
}

func TestMemoryWatchStops(t *testing.T) {
	var released atomic.Int32
	stop := (&memoryWatch{releaseMin: releaseMin, boostAfter: boostAfter,
		release: func() { released.Add(1) }}).start(t.Context())
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped: // stop returns once the watcher has ended
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return: the watcher did not end")
	}
	// A burst after stop, collections and a quiet spell: nothing watches
	// any more, so nothing is released.
	burst(2 * releaseMin >> 20)
	for range 3 {
		runtime.GC()
		time.Sleep(2 * quietTick)
	}
	if n := released.Load(); n != 0 {
		t.Errorf("released %d times after stop", n)
	}
}

// TestTuneRuntime checks that the daemon's collector target applies when
// the environment sets no GOGC, gives way to GOGC, and is put back by the
// returned function (which also stops the watch of bursts). It changes a process-wide setting, so it does not run
// in parallel.
func TestTuneRuntime(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}

	restore := TuneRuntime(t.Context(), env(nil))
	if got := debug.SetGCPercent(DaemonGCPercent); got != DaemonGCPercent {
		t.Errorf("GOGC unset: collector target %d, want %d", got, DaemonGCPercent)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after restore: collector target %d, want 100", got)
	}

	restore = TuneRuntime(t.Context(), env(map[string]string{"GOGC": "200"}))
	defer restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: collector target changed to %d", got)
	}
}

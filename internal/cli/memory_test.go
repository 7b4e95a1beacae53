package cli

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"
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

func TestReleaseAfterBursts(t *testing.T) {
	released := make(chan struct{}, 1)
	stop := startReleasing(t.Context(), func() {
		select {
		case released <- struct{}{}:
		default:
		}
	})
	defer stop()
	// A burst: twice releaseMin allocated, a megabyte at a time, then quiet.
	for range 2 * releaseMin >> 20 {
		burstSink = make([]byte, 1<<20)
	}
	burstSink = nil
	runtime.GC()
	select {
	case <-released:
	case <-time.After(time.Minute):
		t.Fatal("nothing released within a minute of a burst")
	}
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

func TestStartReleasingStops(t *testing.T) {
	var released atomic.Int32
	stop := startReleasing(t.Context(), func() { released.Add(1) })
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped: // stop returns once the watcher has ended
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return: the watcher did not end")
	}
	// A burst after stop, collections and a quiet spell: nothing watches
	// any more, so nothing is released.
	for range 2 * releaseMin >> 20 {
		burstSink = make([]byte, 1<<20)
	}
	burstSink = nil
	for range 3 {
		runtime.GC()
		time.Sleep(2 * quietTick)
	}
	if n := released.Load(); n != 0 {
		t.Errorf("released %d times after stop", n)
	}
}

package app

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Herald's daemon keeps a small live heap (a few MiB) and works in bursts (a
// poll cycle that brings in new stories, a batch of webhooks, a report over
// a large database), idling between them. Its runtime is tuned for both:
//
//   - DaemonGCPercent between bursts and in short ones. With the Go
//     runtime's default target (GOGC=100) the heap grows to twice what is
//     live before a collection; at 50, measured in pairs with the default
//     (herald-bench --scenario new-items and --scenario idle), the new-items
//     peak is 34 MB instead of 35–36 MB (over its target) and an idle daemon
//     holds about 1 MB less.
//   - BurstGCPercent once a burst has allocated boostAfter: a collection's
//     work is what is live, so the collector's share of a long burst falls
//     as its target rises. The first poll cycle (herald-bench --scenario
//     poll, 10,000 feeds × 50 items: 8.4 GB allocated over a live heap of
//     about 8 MB) took 32.0 and 35.0 s at 50 against 22.3 and 24.1 s at 200
//     in alternating runs (CPU 50.6 and 56.7 s against 33.8 and 37.2 s),
//     with a peak RSS of 62 MB against 78–80 MB; 100 took 28.5 s (67 MB)
//     and 400 23.4 s (104 MB).
//   - At the end of a burst the memory it grew into goes back to the system
//     at once (releaseMemory), rather than over the minutes the collector
//     and the scavenger would take.
//
// A fixed soft memory limit (GOMEMLIMIT) would not do instead: one low
// enough to matter for an idle daemon (12 to 20 MiB) would keep the
// collector running through any larger burst, and one high enough for those
// does nothing when idle. GOGC from the environment sets the target as the
// Go runtime documents, for the whole run; GOMEMLIMIT sets a soft limit as
// usual.
const (
	// DaemonGCPercent is the collector's target in a daemon: the heap may
	// grow by half of what is live before the next collection.
	DaemonGCPercent = 50
	// BurstGCPercent is the target for the rest of a burst that has
	// allocated boostAfter.
	BurstGCPercent = 200
	// boostAfter is above what a cycle of new items allocates (300 feeds
	// with one new item each: 26 MB), so that its peak is
	// DaemonGCPercent's.
	boostAfter = 128 << 20
	// releaseMin is how much must have been allocated since the last
	// release for a burst to be worth releasing.
	releaseMin = 16 << 20
	// A burst is over at the first quietTick in which less than quietBytes
	// were allocated.
	quietTick  = 100 * time.Millisecond
	quietBytes = 256 << 10
	// releaseGap spaces releases out, so that a daemon that is never quiet
	// for long does not force a collection at every pause. A boosted burst
	// is always released: its heap grew at BurstGCPercent.
	releaseGap = time.Minute
)

// TuneRuntime sets the daemon's collector target, unless the environment
// (read through getenv) sets GOGC, and watches the daemon's bursts (see
// above) until stop is called, which waits for the watcher to end and puts
// the previous target back. `herald run` calls it as the daemon starts; the
// benchmark, for each set of the daemon's parts it builds in its process.
func TuneRuntime(ctx context.Context, getenv func(string) string) (stop func()) {
	w := &memoryWatch{release: releaseMemory, boostAfter: boostAfter, releaseMin: releaseMin}
	prev := -1
	if getenv("GOGC") == "" {
		prev = debug.SetGCPercent(DaemonGCPercent)
		w.setPercent = debug.SetGCPercent
	}
	stopWatch := w.start(ctx)
	return func() {
		stopWatch()
		if prev >= 0 {
			debug.SetGCPercent(prev)
		}
	}
}

// memoryWatch follows the daemon's bursts of allocation.
type memoryWatch struct {
	setPercent func(int) int // nil: the environment sets the target
	release    func()        // releaseMemory
	boostAfter uint64
	releaseMin uint64
}

// start runs the watch until the returned function is called, which waits
// for it to end.
func (w *memoryWatch) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// run waits for bursts, until ctx ends: raises the collector's target for
// the rest of a long one, and calls release once one has ended. It costs
// next to nothing while the daemon is idle: it looks at the allocation rate
// only after a collection, which a burst that grows the heap always brings.
func (w *memoryWatch) run(ctx context.Context) {
	gcs := make(chan struct{}, 1)
	notifyGC(ctx, gcs)
	mark := heapAllocated()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-gcs:
		}
		boosted, ok := w.waitQuiet(ctx)
		if boosted {
			w.setPercent(DaemonGCPercent)
		}
		if !ok {
			return
		}
		if !boosted && (heapAllocated()-mark < w.releaseMin || time.Since(last) < releaseGap) {
			continue
		}
		w.release()
		last, mark = time.Now(), heapAllocated()
		select {
		case <-gcs: // the collection release ran
		default:
		}
	}
}

// waitQuiet waits for a quietTick in which less than quietBytes were
// allocated, raising the collector's target to BurstGCPercent once the
// burst has allocated boostAfter (when the target is Herald's). It reports
// whether it raised it, and false if ctx ended first.
func (w *memoryWatch) waitQuiet(ctx context.Context) (boosted, ok bool) {
	t := time.NewTicker(quietTick)
	defer t.Stop()
	from := heapAllocated()
	prev := from
	for {
		select {
		case <-ctx.Done():
			return boosted, false
		case <-t.C:
		}
		now := heapAllocated()
		if now-prev < quietBytes {
			return boosted, true
		}
		prev = now
		if !boosted && w.setPercent != nil && now-from >= w.boostAfter {
			w.setPercent(BurstGCPercent)
			boosted = true
		}
	}
}

// releaseMemory is what the daemon hands back after a burst: two
// collections, then every free page to the system. Pooled objects (sync.Pool:
// the poller's feed bodies, up to 1 MiB each) live through one collection in
// their pool's victim cache and go at the second; with one, a daemon gone
// quiet after its first poll cycle held about 1 MB of them until its next
// collection, a minute later (herald-bench --scenario idle).
func releaseMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// notifyGC sends on ch, without blocking, after each garbage collection
// until ctx ends: a cleanup attached to an object nothing refers to runs once
// a collection has found it unreachable, and attaches the next one.
func notifyGC(ctx context.Context, ch chan<- struct{}) {
	runtime.AddCleanup(new(gcSentinel), func(struct{}) {
		if ctx.Err() != nil {
			return
		}
		select {
		case ch <- struct{}{}:
		default:
		}
		notifyGC(ctx, ch)
	}, struct{}{})
}

// gcSentinel is large enough to be allocated alone: the runtime batches
// smaller objects without pointers, and their cleanups may never run.
type gcSentinel [64]byte

// heapAllocated is the bytes allocated on the heap since the process
// started.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

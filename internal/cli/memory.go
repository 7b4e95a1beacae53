package cli

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Herald works in bursts (a poll cycle that brings in new stories, a batch
// of webhooks, a report over a large database) and idles between them. The
// Go heap keeps the pages a burst grew into: the collector runs again only
// once the heap has grown by as much again as is live, or after two
// minutes, and the runtime returns free pages to the system only gradually
// after that. A daemon gone quiet would so hold, for minutes, the memory of
// its last burst. releaseAfterBursts waits for the end of a burst and hands
// that memory back at once.
//
// A fixed soft memory limit (GOMEMLIMIT) would not do instead: one low
// enough to matter for an idle daemon (12 to 16 MiB) would keep the
// collector running through any larger poll cycle, and one high enough for
// those does nothing when idle. GOMEMLIMIT and GOGC from the environment
// still tune the collector as usual.
const (
	// releaseMin is how much must have been allocated since the last
	// release for a burst to be worth releasing.
	releaseMin = 16 << 20
	// A burst is over at the first quietTick in which less than quietBytes
	// were allocated.
	quietTick  = 100 * time.Millisecond
	quietBytes = 256 << 10
	// releaseGap spaces releases out, so that a daemon that is never quiet
	// for long does not force a collection at every pause.
	releaseGap = time.Minute
)

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

// startReleasing runs releaseAfterBursts until the returned function is
// called, which waits for it to end.
func startReleasing(ctx context.Context, release func()) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		releaseAfterBursts(ctx, release)
	}()
	return func() {
		cancel()
		<-done
	}
}

// releaseAfterBursts calls release (releaseMemory) once a burst of
// allocation has ended, until ctx ends. It costs next to nothing while the
// daemon is idle: it looks at the allocation rate only after a collection,
// which a burst that grows the heap always brings.
func releaseAfterBursts(ctx context.Context, release func()) {
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
		if !waitQuiet(ctx) {
			return
		}
		if heapAllocated()-mark < releaseMin || time.Since(last) < releaseGap {
			continue
		}
		release()
		last, mark = time.Now(), heapAllocated()
		select {
		case <-gcs: // the collection release ran
		default:
		}
	}
}

// waitQuiet waits for a quietTick in which less than quietBytes were
// allocated; false if ctx ended first.
func waitQuiet(ctx context.Context) bool {
	t := time.NewTicker(quietTick)
	defer t.Stop()
	prev := heapAllocated()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		now := heapAllocated()
		if now-prev < quietBytes {
			return true
		}
		prev = now
	}
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

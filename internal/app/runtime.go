package app

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Herald's daemon keeps a small live heap (a few MiB: the configuration,
// the sources' state, connection pools) and allocates in bursts (a poll
// cycle, a batch of webhooks). The Go runtime's defaults size its heap for
// throughput instead: with GOGC=100 the heap grows to twice what is live
// before a collection, so a burst's garbage is held until then; and the
// heap profiler's sampling keeps a table of call stacks that nobody reads,
// for Herald serves no profiles. DaemonGCPercent and the profiler turned
// off take 2 to 3 MB off the resident set of the benchmark's "new items"
// scenario and of `herald run` while idle (herald-bench --scenario
// new-items and --scenario idle; see README, Performance), for a few per
// cent more CPU in the collector during a first poll of 10,000 feeds
// (--scenario poll).
//
// A soft memory limit (GOMEMLIMIT) is not set by default: one low enough
// to matter while idle makes the collector run without pause through any
// larger burst (a first poll, a report), and one high enough for those does
// nothing while idle. The environment still decides: GOGC, GOMEMLIMIT and
// GODEBUG=memprofilerate=N are honoured as the Go runtime documents them,
// and TuneRuntime then leaves that setting alone.

// DaemonGCPercent is the collector's target (GOGC) in a daemon: the heap
// may grow by half of what is live before the next collection.
const DaemonGCPercent = 50

// TuneRuntime applies the daemon's runtime settings (the collector's target
// and no heap profiling) where the environment, read through getenv, does
// not set them, once, as the daemon starts. It returns a function that puts
// the previous settings back, for the benchmark that builds the daemon's
// parts in a process of its own.
func TuneRuntime(getenv func(string) string) (restore func()) {
	var undo []func()
	if getenv("GOGC") == "" {
		prev := debug.SetGCPercent(DaemonGCPercent)
		undo = append(undo, func() { debug.SetGCPercent(prev) })
	}
	if !strings.Contains(getenv("GODEBUG"), "memprofilerate=") {
		prev := runtime.MemProfileRate
		runtime.MemProfileRate = 0
		undo = append(undo, func() { runtime.MemProfileRate = prev })
	}
	return func() {
		for _, f := range undo {
			f()
		}
	}
}

package app

import "runtime/debug"

// Herald's daemon keeps a small live heap (a few MiB) and allocates in
// bursts: a poll cycle, a batch of webhooks. With the Go runtime's default
// collector target (GOGC=100) the heap grows to twice what is live before a
// collection, and a burst's garbage is resident until then. At
// DaemonGCPercent, measured in pairs with the default on the same loaded
// 2-core machine (herald-bench --scenario new-items, --scenario poll and
// --scenario idle):
//
//   - new items (300 feeds × 1 new item): peak RSS 37–38 MB instead of
//     39–40 MB, RSS after the cycle 34–35 MB instead of 37 MB, for about a
//     tenth more CPU in the cycle;
//   - first poll (10,000 feeds × 50 items): peak RSS 48–49 MB instead of
//     59 MB, with no more CPU (67.5 s against 71.7 s);
//   - idle `herald run`: about 1 MB less once the first cycle is over.
//
// A soft memory limit (GOMEMLIMIT) is not set: one low enough to matter
// here (16 to 20 MiB) took nothing off the new-items peak in the same runs,
// and it would keep the collector running through a larger burst (a first
// poll, a report) whose live heap is above it.

// DaemonGCPercent is the collector's target in a daemon: the heap may grow
// by half of what is live before the next collection.
const DaemonGCPercent = 50

// TuneRuntime sets the daemon's collector target, once, as the daemon
// starts, unless the environment (read through getenv) sets GOGC, which
// then decides as the Go runtime documents. It returns a function that puts
// the previous target back, for the benchmark that builds the daemon's
// parts inside a process of its own.
func TuneRuntime(getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	prev := debug.SetGCPercent(DaemonGCPercent)
	return func() { debug.SetGCPercent(prev) }
}

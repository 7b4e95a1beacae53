package app_test

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/heraldhq/herald/internal/app"
)

// TestTuneRuntime checks that the daemon's runtime settings apply where the
// environment says nothing, give way to GOGC and GODEBUG=memprofilerate,
// and are put back by the returned function. It changes process-wide
// settings, so it does not run in parallel.
func TestTuneRuntime(t *testing.T) {
	gc0 := debug.SetGCPercent(100)
	rate0 := runtime.MemProfileRate
	t.Cleanup(func() {
		debug.SetGCPercent(gc0)
		runtime.MemProfileRate = rate0
	})
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}

	restore := app.TuneRuntime(env(nil))
	if got := debug.SetGCPercent(-1); got != app.DaemonGCPercent {
		t.Errorf("GOGC unset: collector target %d, want %d", got, app.DaemonGCPercent)
	}
	debug.SetGCPercent(app.DaemonGCPercent)
	if runtime.MemProfileRate != 0 {
		t.Errorf("GODEBUG unset: MemProfileRate %d, want 0", runtime.MemProfileRate)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after restore: collector target %d, want 100", got)
	}
	if runtime.MemProfileRate != rate0 {
		t.Errorf("after restore: MemProfileRate %d, want %d", runtime.MemProfileRate, rate0)
	}

	restore = app.TuneRuntime(env(map[string]string{"GOGC": "200", "GODEBUG": "madvdontneed=1,memprofilerate=1024"}))
	defer restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: collector target changed to %d", got)
	}
	if runtime.MemProfileRate != rate0 {
		t.Errorf("GODEBUG=memprofilerate set: MemProfileRate changed to %d", runtime.MemProfileRate)
	}
}

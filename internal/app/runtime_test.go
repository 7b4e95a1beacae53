package app_test

import (
	"runtime/debug"
	"testing"

	"github.com/heraldhq/herald/internal/app"
)

// TestTuneRuntime checks that the daemon's collector target applies when
// the environment sets no GOGC, gives way to GOGC, and is put back by the
// returned function. It changes a process-wide setting, so it does not run
// in parallel.
func TestTuneRuntime(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}

	restore := app.TuneRuntime(env(nil))
	if got := debug.SetGCPercent(app.DaemonGCPercent); got != app.DaemonGCPercent {
		t.Errorf("GOGC unset: collector target %d, want %d", got, app.DaemonGCPercent)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after restore: collector target %d, want 100", got)
	}

	restore = app.TuneRuntime(env(map[string]string{"GOGC": "200"}))
	defer restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: collector target changed to %d", got)
	}
}

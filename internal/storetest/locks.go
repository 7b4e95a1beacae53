package storetest

import (
	"testing"
	"time"
)

var unlockTests = []test{
	{"ReleasesOnlyTheOwnersLease", func(t *testing.T, f *fixture) {
		lock := func(owner string, now time.Time) bool {
			t.Helper()
			ok, err := f.TryLock(f.ctx, "collector", owner, now, time.Hour)
			f.must(err)
			return ok
		}
		equal(t, "a takes", lock("a", t0), true)
		f.must(f.Unlock(f.ctx, "collector", "b"))
		equal(t, "b after b's unlock of a's lease", lock("b", t0.Add(time.Second)), false)
		f.must(f.Unlock(f.ctx, "collector", "a"))
		equal(t, "b after a's unlock, long before a's lease would end", lock("b", t0.Add(2*time.Second)), true)
		f.must(f.Unlock(f.ctx, "collector", "a"))
		equal(t, "a after a's second unlock (b still holds it)", lock("a", t0.Add(3*time.Second)), false)
		f.must(f.Unlock(f.ctx, "evergreen", "a"))
	}},
}

package storetest

import (
	"testing"
	"time"
)

// tryLock takes or renews the named lease for owner, failing the test on
// error; it reports whether owner holds the lease.
func (f *fixture) tryLock(name, owner string, now time.Time, lease time.Duration) bool {
	f.t.Helper()
	ok, err := f.TryLock(f.ctx, name, owner, now, lease)
	f.must(err)
	return ok
}

var lockTests = []test{
	{"TryLock", func(t *testing.T, f *fixture) {
		lock := func(owner string, now time.Time) bool { return f.tryLock("collector", owner, now, time.Minute) }
		equal(t, "a takes", lock("a", t0), true)
		equal(t, "b while a holds", lock("b", t0.Add(30*time.Second)), false)
		equal(t, "a renews", lock("a", t0.Add(50*time.Second)), true)
		equal(t, "b before the renewed lease ends", lock("b", t0.Add(100*time.Second)), false)
		equal(t, "b after expiry", lock("b", t0.Add(111*time.Second)), true)
		equal(t, "a after losing it", lock("a", t0.Add(112*time.Second)), false)
		equal(t, "another name is independent", f.tryLock("evergreen", "a", t0.Add(112*time.Second), time.Minute), true)
	}},
}

var unlockTests = []test{
	{"ReleasesOnlyTheOwnersLease", func(t *testing.T, f *fixture) {
		lock := func(owner string, now time.Time) bool { return f.tryLock("collector", owner, now, time.Hour) }
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

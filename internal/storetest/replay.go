package storetest

import (
	"testing"
	"time"
)

var replayTests = []test{
	{"RememberSignature", func(t *testing.T, f *fixture) {
		g := f.Store
		until := t0.Add(5 * time.Minute)
		for _, c := range []struct {
			sig   string
			now   time.Time
			fresh bool
		}{
			{"a1", t0, true},
			{"a1", t0.Add(time.Minute), false},
			{"b2", t0.Add(time.Minute), true},
			{"a1", until, false},                 // still in its window
			{"a1", until.Add(time.Second), true}, // forgotten once the window ended
		} {
			fresh, err := g.RememberSignature(f.ctx, c.sig, until, c.now)
			f.must(err)
			if fresh != c.fresh {
				t.Errorf("%s at %v: fresh %v, want %v", c.sig, c.now.Sub(t0), fresh, c.fresh)
			}
		}
		f.must(g.ForgetSignature(f.ctx, "b2"))
		fresh, err := g.RememberSignature(f.ctx, "b2", until, t0.Add(2*time.Minute))
		f.must(err)
		equal(t, "fresh after ForgetSignature", fresh, true)
		f.must(g.ForgetSignature(f.ctx, "never-seen"))
	}},
}

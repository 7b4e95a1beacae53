package storetest

import (
	"sync"
	"testing"
	"time"
)

// alertTests check the open alerts: opened once (the first message and
// time kept), raised once and only after the grace asked for, closed once,
// the recovery owed only for a raised alert, and one raise among racers.
var alertTests = []test{
	{"Lifecycle", func(t *testing.T, f *fixture) {
		const cause = "feed_failing:mexico"
		f.must(f.OpenAlert(f.ctx, cause, "feed mexico failing", t0))
		f.must(f.OpenAlert(f.ctx, cause, "feed mexico failing again", t0.Add(time.Minute)))
		as, err := f.ListAlerts(f.ctx)
		f.must(err)
		equal(t, "open alerts", len(as), 1)
		equal(t, "message", as[0].Message, "feed mexico failing")
		sameTime(t, "since", as[0].Since, t0)
		equal(t, "raised", as[0].Raised, false)

		ok, err := f.RaiseAlert(f.ctx, cause, t0.Add(-time.Second))
		f.must(err)
		equal(t, "raised before its grace", ok, false)
		ok, err = f.RaiseAlert(f.ctx, cause, t0)
		f.must(err)
		equal(t, "raised", ok, true)
		ok, err = f.RaiseAlert(f.ctx, cause, t0.Add(time.Hour))
		f.must(err)
		equal(t, "raised twice", ok, false)

		raised, err := f.CloseAlert(f.ctx, cause)
		f.must(err)
		equal(t, "closed a raised alert", raised, true)
		raised, err = f.CloseAlert(f.ctx, cause)
		f.must(err)
		equal(t, "closed twice", raised, false)

		f.must(f.OpenAlert(f.ctx, "post_held:7", "held", t0))
		raised, err = f.CloseAlert(f.ctx, "post_held:7")
		f.must(err)
		equal(t, "closed before raised", raised, false)
		as, err = f.ListAlerts(f.ctx)
		f.must(err)
		equal(t, "open alerts at the end", len(as), 0)
	}},
	{"RaiseRace", func(t *testing.T, f *fixture) {
		const cause = "account_paused:x_main"
		f.must(f.OpenAlert(f.ctx, cause, "paused", t0))
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := f.RaiseAlert(f.ctx, cause, t0)
				f.must(err)
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		equal(t, "raises that won", won, 1)
	}},
}

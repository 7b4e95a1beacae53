package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// claimRuleCases is the one table of the claim rules a store evaluates in
// SQL, so that they hold across instances sharing a database: pause, hold,
// a serial account's job in flight, and the limits of daily caps and
// budgets counted against every instance's posts. Each case is set up in
// the store; ClaimJobs must take as many of xMain's jobs as
// herald.Eligibility allows on the store's state, and as the case wants.
var claimRuleCases = []struct {
	name  string
	rules herald.Rules
	// The account's state when the claim runs.
	paused        bool
	hold          time.Duration // held until t0+hold (0: never held)
	inFlight      bool          // another job is claimed under a live lease
	expiredClaim  bool          // another job was claimed, its lease has run out
	sentToday     int           // posts sent an hour before t0
	sentYesterday int           // posts sent the day before t0
	spent         herald.Money  // spent this month before those posts
	// sentLater are posts sent by another instance after the dispatcher
	// read the counts its limits were made from.
	sentLater int
	want      int // of 3 due jobs (4 with expiredClaim)
}{
	{name: "free", rules: herald.Rules{PerAccount: 2}, want: 2},
	{name: "free, PerAccount 0 means 1", rules: herald.Rules{}, want: 1},
	{name: "spacing", rules: herald.Rules{PerAccount: 2, MinInterval: time.Minute}, want: 1},
	{name: "paused", rules: herald.Rules{PerAccount: 2}, paused: true, want: 0},
	{name: "held", rules: herald.Rules{PerAccount: 2}, hold: time.Second, want: 0},
	{name: "hold passed", rules: herald.Rules{PerAccount: 2}, hold: -time.Second, want: 2},
	{name: "hold ends now", rules: herald.Rules{PerAccount: 2}, hold: time.Nanosecond, want: 2},
	{name: "spacing, in flight", rules: herald.Rules{PerAccount: 2, MinInterval: time.Minute}, inFlight: true, want: 0},
	{name: "spacing, lease expired", rules: herald.Rules{PerAccount: 2, MinInterval: time.Minute}, expiredClaim: true, want: 1},
	{name: "free, in flight", rules: herald.Rules{PerAccount: 2}, inFlight: true, want: 2},
	{name: "cap, in flight", rules: herald.Rules{PerAccount: 2, DailyCap: 9}, inFlight: true, want: 0},
	{name: "under the cap", rules: herald.Rules{PerAccount: 2, DailyCap: 3}, sentToday: 2, want: 1},
	{name: "at the cap", rules: herald.Rules{PerAccount: 2, DailyCap: 3}, sentToday: 3, want: 0},
	{name: "cap counts today only", rules: herald.Rules{PerAccount: 2, DailyCap: 3}, sentYesterday: 3, want: 1},
	{name: "cap reached by another instance", rules: herald.Rules{PerAccount: 2, DailyCap: 3}, sentToday: 2, sentLater: 1, want: 0},
	{name: "budget left", rules: herald.Rules{PerAccount: 2, MonthlyBudget: 100, PostCost: 20}, sentToday: 1, spent: 40, want: 1},
	{name: "budget spent by another instance",
		rules: herald.Rules{PerAccount: 2, MonthlyBudget: 100, PostCost: 20}, sentToday: 1, spent: 40, sentLater: 2, want: 0},
}

var claimRuleTests = func() []test {
	var out []test
	for _, tc := range claimRuleCases {
		out = append(out, test{tc.name, func(t *testing.T, f *fixture) {
			n := 0
			send := func(at time.Time, k int) {
				for range k {
					n++
					f.save(mexico, at, story(fmt.Sprintf("https://example.com/sent/%d", n), xMain))
					f.sendAll(at)
				}
			}
			send(t0.Add(-24*time.Hour), tc.sentYesterday)
			send(t0.Add(-time.Hour), tc.sentToday)
			// The verdict the dispatcher would act on, from what it read.
			before := herald.AccountState{SentToday: tc.sentToday, SentMonth: tc.sentToday + tc.sentYesterday,
				SpentMonth: tc.spent + herald.Money(tc.sentToday)*tc.rules.PostCost}
			if t0.Add(-24 * time.Hour).Before(herald.MonthStart(t0)) {
				t.Fatal("the case's yesterday must be in t0's month")
			}
			limits := herald.Eligibility(xMain, tc.rules, before, t0).Limits
			send(t0.Add(-time.Minute), tc.sentLater)

			serial := func(owner string, at time.Time) {
				_, err := f.ClaimJobs(f.ctx, herald.ClaimOptions{Owner: owner, Now: at, Lease: time.Minute,
					Accounts: map[string]time.Duration{xMain: 0}, PerAccount: 1,
					Limits: []herald.ClaimLimit{{Account: xMain, Max: 1 << 20, Since: at.Add(-time.Hour)}}})
				f.must(err)
			}
			if tc.inFlight {
				f.save(mexico, t0.Add(-time.Second), story("https://example.com/in-flight", xMain))
				serial("other", t0.Add(-time.Second))
			}
			due := 3
			if tc.expiredClaim {
				f.save(mexico, t0.Add(-2*time.Minute), story("https://example.com/expired", xMain))
				serial("other", t0.Add(-2*time.Minute))
				due++
			}
			for i := range 3 {
				f.save(mexico, t0, story(fmt.Sprintf("https://example.com/due/%d", i), xMain))
			}
			var hold time.Time
			if tc.hold != 0 {
				hold = t0.Add(tc.hold)
				if tc.hold == time.Nanosecond {
					hold = t0
				}
				f.must(f.HoldAccount(f.ctx, xMain, hold, "test"))
			}
			if tc.paused {
				f.must(f.PauseAccount(f.ctx, xMain, "test"))
			}

			now := herald.AccountState{Paused: tc.paused, HoldUntil: hold, InFlight: tc.inFlight,
				SentToday: tc.sentToday + tc.sentLater, SentMonth: tc.sentToday + tc.sentYesterday + tc.sentLater,
				SpentMonth: tc.spent + herald.Money(tc.sentToday+tc.sentLater)*tc.rules.PostCost}
			verdict := min(herald.Eligibility(xMain, tc.rules, now, t0).N, due)
			js, err := f.ClaimJobs(f.ctx, herald.ClaimOptions{Owner: "me", Now: t0, Lease: time.Minute,
				Accounts: map[string]time.Duration{xMain: tc.rules.MinInterval}, Limits: limits,
				PerAccount: tc.rules.PerAccount})
			f.must(err)
			equal(t, "jobs the case wants claimed", len(js), tc.want)
			equal(t, "jobs herald.Eligibility allows", len(js), verdict)
		}})
	}
	return out
}()

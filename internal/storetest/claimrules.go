package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// claimRuleCases is the one table of the claim rules a store evaluates in
// SQL, so that they hold across instances sharing a database: pause, hold,
// a job in flight for another instance (any account) or for a serial
// account (any instance), and the limits of daily caps and budgets counted
// against every instance's posts. Each case is set up in
// the store; ClaimJobs must take as many of xMain's jobs as
// herald.Eligibility allows on the store's state, and as the case wants.
var claimRuleCases = []struct {
	name  string
	rules herald.Rules
	// The account's state when the claim runs.
	paused       bool
	hold         time.Duration // held until t0+hold (0: never held)
	inFlight     bool          // another instance holds a live claim on another job
	ownClaim     bool          // this instance holds a live claim on another job
	expiredClaim bool          // another job was claimed, its lease has run out
	released     bool          // another instance claimed another job and gave it back
	// Another instance claimed two more jobs, started one (its lease is
	// extended) and gave the other back; the claim's own lease has run out.
	sendingElsewhere bool
	sentToday        int          // posts sent an hour before t0
	sentYesterday    int          // posts sent the day before t0
	spent            herald.Money // spent this month before those posts
	// sentLater are posts sent by another instance after the dispatcher
	// read the counts its limits were made from.
	sentLater int
	want      int // of 3 due jobs (4 with expiredClaim, released or sendingElsewhere)
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
	{name: "free, in flight", rules: herald.Rules{PerAccount: 2}, inFlight: true, want: 0},
	{name: "free, own claim", rules: herald.Rules{PerAccount: 2}, ownClaim: true, want: 2},
	{name: "spacing, own claim", rules: herald.Rules{PerAccount: 2, MinInterval: time.Minute}, ownClaim: true, want: 0},
	{name: "free, lease expired", rules: herald.Rules{PerAccount: 2}, expiredClaim: true, want: 2},
	{name: "free, claim given back", rules: herald.Rules{PerAccount: 2}, released: true, want: 2},
	{name: "free, sending elsewhere", rules: herald.Rules{PerAccount: 2}, sendingElsewhere: true, want: 0},
	{name: "spacing, sending elsewhere", rules: herald.Rules{PerAccount: 2, MinInterval: time.Minute}, sendingElsewhere: true, want: 0},
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

			// claim saves k stories published at at and has owner claim them
			// at at, served one at a time when serial.
			claim := func(name, owner string, at time.Time, k int, serial bool) []herald.Job {
				for i := range k {
					f.save(mexico, at, story(fmt.Sprintf("https://example.com/%s/%d", name, i), xMain))
				}
				opts := herald.ClaimOptions{Owner: owner, Now: at, Lease: time.Minute,
					Accounts: map[string]time.Duration{xMain: 0}, PerAccount: k}
				if serial {
					opts.Limits = []herald.ClaimLimit{{Account: xMain, Max: 1 << 20, Since: at.Add(-time.Hour)}}
				}
				js, err := f.ClaimJobs(f.ctx, opts)
				f.must(err)
				equal(t, "jobs claimed to set the case up", len(js), k)
				return js
			}
			giveBack := func(j herald.Job, at time.Time) {
				f.must(f.FinishJob(f.ctx, j.ID, j.ClaimedBy, herald.Outcome{State: herald.JobPending, NextAttemptAt: at}, at))
			}
			due := 3
			if tc.inFlight {
				claim("in-flight", "other", t0.Add(-time.Second), 1, true)
			}
			if tc.ownClaim {
				claim("own", "me", t0.Add(-time.Second), 1, true)
			}
			if tc.expiredClaim {
				claim("expired", "other", t0.Add(-2*time.Minute), 1, true)
				due++
			}
			if tc.released {
				giveBack(claim("released", "other", t0.Add(-time.Second), 1, true)[0], t0.Add(-time.Second))
				due++
			}
			if tc.sendingElsewhere {
				js := claim("sending", "other", t0.Add(-90*time.Second), 2, false)
				f.must(f.StartAttempt(f.ctx, js[0].ID, "other", t0.Add(-45*time.Second), time.Minute))
				giveBack(js[1], t0.Add(-45*time.Second))
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

			elsewhere := tc.inFlight || tc.sendingElsewhere
			now := herald.AccountState{Paused: tc.paused, HoldUntil: hold,
				InFlight: elsewhere || tc.ownClaim, InFlightElsewhere: elsewhere,
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

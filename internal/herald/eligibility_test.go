package herald

import (
	"testing"
	"time"
)

func TestEligibility(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	day, month := DayStart(now, nil), MonthStart(now)
	for _, tc := range []struct {
		name   string
		r      Rules
		s      AccountState
		n      int
		wait   string
		limits []ClaimLimit
	}{
		{"free", Rules{PerAccount: 4}, AccountState{}, 4, "", nil},
		{"zero per account means one", Rules{}, AccountState{}, 1, "", nil},
		{"spacing takes one", Rules{PerAccount: 4, MinInterval: time.Minute}, AccountState{}, 1, "", nil},
		{"paused", Rules{PerAccount: 4}, AccountState{Paused: true}, 0, WaitPaused, nil},
		{"held", Rules{PerAccount: 4}, AccountState{HoldUntil: now.Add(time.Second)}, 0, WaitHold, nil},
		{"hold passed", Rules{PerAccount: 4}, AccountState{HoldUntil: now}, 4, "", nil},
		{"quiet", Rules{PerAccount: 4, QuietStart: 11 * time.Hour, QuietEnd: 13 * time.Hour}, AccountState{}, 0, WaitQuiet, nil},
		{"in flight, spaced", Rules{PerAccount: 4, MinInterval: time.Minute}, AccountState{InFlight: true}, 0, WaitInFlight, nil},
		{"in flight, free", Rules{PerAccount: 4}, AccountState{InFlight: true}, 4, "", nil},
		{"in flight elsewhere, free", Rules{PerAccount: 4}, AccountState{InFlight: true, InFlightElsewhere: true}, 0, WaitInFlight, nil},
		{"in flight elsewhere, spaced", Rules{PerAccount: 4, MinInterval: time.Minute},
			AccountState{InFlight: true, InFlightElsewhere: true}, 0, WaitInFlight, nil},
		{"in flight elsewhere, at the cap", Rules{PerAccount: 4, DailyCap: 5},
			AccountState{InFlight: true, InFlightElsewhere: true, SentToday: 5}, 0, WaitInFlight,
			[]ClaimLimit{{Account: "a", Max: 5, Since: day}}},
		{"under the cap, one at a time", Rules{PerAccount: 4, DailyCap: 5}, AccountState{SentToday: 3}, 1, "",
			[]ClaimLimit{{Account: "a", Max: 5, Since: day}}},
		{"at the cap", Rules{PerAccount: 4, DailyCap: 5}, AccountState{SentToday: 5}, 0, WaitDailyCap,
			[]ClaimLimit{{Account: "a", Max: 5, Since: day}}},
		{"budget left for two", Rules{PerAccount: 4, MonthlyBudget: 50, PostCost: 20}, AccountState{SentMonth: 7}, 1, "",
			[]ClaimLimit{{Account: "a", Max: 9, Since: month}}},
		{"budget spent", Rules{PerAccount: 4, MonthlyBudget: 50, PostCost: 20}, AccountState{SpentMonth: 40}, 0, WaitBudget, nil},
		{"cap left for none", Rules{PerAccount: 4, DailyCap: 5}, AccountState{SentToday: 6}, 0, WaitDailyCap,
			[]ClaimLimit{{Account: "a", Max: 5, Since: day}}},
		{"no cost, no budget limit", Rules{PerAccount: 4, MonthlyBudget: 50}, AccountState{SpentMonth: 90}, 4, "", nil},
	} {
		a := Eligibility("a", tc.r, tc.s, now)
		if a.N != tc.n || a.Wait != tc.wait || len(a.Limits) != len(tc.limits) {
			t.Errorf("%s: %+v, want %d jobs, wait %q, %d limits", tc.name, a, tc.n, tc.wait, len(tc.limits))
			continue
		}
		for i, l := range tc.limits {
			if g := a.Limits[i]; g.Account != l.Account || g.Max != l.Max || !g.Since.Equal(l.Since) {
				t.Errorf("%s: limit %d = %+v, want %+v", tc.name, i, g, l)
			}
		}
	}
}

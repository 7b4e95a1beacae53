package herald

import (
	"maps"
	"slices"
	"time"
)

// Rules are an account's sending rules: how many jobs it may take at once,
// its spacing, daily cap, quiet hours and monthly budget.
type Rules struct {
	// PerAccount is how many jobs an account with no spacing may take at
	// once (0 means 1).
	PerAccount int
	// MinInterval is the least time between two posts (0: no spacing).
	MinInterval time.Duration
	// DailyCap is the most posts per local day (0: no cap).
	DailyCap int
	// QuietStart and QuietEnd are offsets from local midnight of a daily
	// window without posts (equal: none); the window may span midnight.
	QuietStart, QuietEnd time.Duration
	// Location is the time zone of the day and the quiet hours (nil: UTC).
	Location *time.Location
	// MonthlyBudget caps the UTC calendar month's spend (0: no budget);
	// PostCost is what one post may cost.
	MonthlyBudget, PostCost Money
}

// AccountState is what counts against an account's rules at a moment. A
// caller that cannot know a part (the dispatcher before a claim does not
// know Paused, HoldUntil or InFlight: the store checks them as it claims)
// leaves it zero.
type AccountState struct {
	Paused    bool
	HoldUntil time.Time
	// InFlight: one of its jobs is claimed under a live lease, by any
	// instance. InFlightElsewhere: by another instance than the one asking
	// (InFlight too).
	InFlight, InFlightElsewhere bool
	SentToday                   int   // posts sent since its local day began
	SentMonth                   int   // posts sent since the UTC month began
	SpentMonth                  Money // the ledger since the UTC month began
}

// Why an account may take no job now.
const (
	WaitPaused   = "paused"
	WaitHold     = "hold"
	WaitQuiet    = "quiet hours"
	WaitInFlight = "in flight"
	WaitDailyCap = "daily cap"
	WaitBudget   = "budget"
)

// Allowance is what an account may be given now.
type Allowance struct {
	// N is how many jobs it may take now (0: none, for the reason Wait).
	N    int
	Wait string
	// Until is when the wait ends, where that is known (a hold, quiet hours).
	Until time.Time
	// Limits are the caps a claim checks again, atomically, against the
	// posts sent by every instance (ClaimOptions.Limits).
	Limits []ClaimLimit
}

// Eligibility decides whether an account may be given jobs at now, and how
// many: not while paused or held, in its quiet hours, while another
// instance has one of its jobs in flight (so that one instance at a time
// sends for an account, and its timeline is in publication order), while a
// job of a serial account (spacing or a cap) is in flight, nor once its
// daily cap or monthly budget is reached. An instance may take several jobs
// of an account without spacing at once: it sends them one after another. The stores evaluate the parts a claim must
// check atomically (pause, hold, in flight, Limits) in SQL; the conformance
// suite checks both against this function's verdicts (storetest).
func Eligibility(account string, r Rules, s AccountState, now time.Time) Allowance {
	n := max(r.PerAccount, 1)
	switch {
	case s.Paused:
		return Allowance{Wait: WaitPaused}
	case s.HoldUntil.After(now):
		return Allowance{Wait: WaitHold, Until: s.HoldUntil}
	}
	if q, until := r.Quiet(now); q {
		return Allowance{Wait: WaitQuiet, Until: until}
	}
	var limits []ClaimLimit
	if r.DailyCap > 0 {
		n = min(n, r.DailyCap-s.SentToday)
		limits = append(limits, ClaimLimit{Account: account, Max: r.DailyCap, Since: DayStart(now, r.Location)})
	}
	if r.MonthlyBudget > 0 && r.PostCost > 0 {
		left := int((r.MonthlyBudget - s.SpentMonth) / r.PostCost)
		n = min(n, left)
		if left > 0 {
			// As a limit on the month's posts: those sent so far and the ones
			// the budget has left, so that another instance's post sent
			// meanwhile counts against it.
			limits = append(limits, ClaimLimit{Account: account, Max: s.SentMonth + left, Since: MonthStart(now)})
		}
	}
	// An account with spacing or a limit is served one job at a time
	// (ClaimOptions.Serial), and not while one of its jobs is in flight.
	serial := r.MinInterval > 0 || len(limits) > 0
	if serial {
		n = min(n, 1)
	}
	a := Allowance{N: max(n, 0), Limits: limits}
	switch {
	case s.InFlightElsewhere || s.InFlight && serial:
		a.N, a.Wait = 0, WaitInFlight
	case a.N == 0 && r.DailyCap > 0 && s.SentToday >= r.DailyCap:
		a.Wait = WaitDailyCap
	case a.N == 0:
		a.Wait = WaitBudget
	}
	return a
}

// Quiet reports whether now falls in the quiet hours and, if so, when they
// end. The window is read on the local wall clock, so it keeps its hours
// across daylight-saving changes.
func (r Rules) Quiet(now time.Time) (bool, time.Time) {
	start, end := r.QuietStart, r.QuietEnd
	if start == end {
		return false, time.Time{}
	}
	loc := r.location()
	local := now.In(loc)
	y, m, d := local.Date()
	off := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute +
		time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
	wall := func(day int, off time.Duration) time.Time {
		h, mi, s := int(off/time.Hour), int(off%time.Hour/time.Minute), int(off%time.Minute/time.Second)
		return time.Date(y, m, day, h, mi, s, 0, loc)
	}
	if start < end { // e.g. 01:00–06:00
		if off >= start && off < end {
			return true, wall(d, end)
		}
		return false, time.Time{}
	}
	// Spanning midnight, e.g. 22:00–06:30.
	switch {
	case off >= start:
		return true, wall(d+1, end)
	case off < end:
		return true, wall(d, end)
	}
	return false, time.Time{}
}

func (r Rules) location() *time.Location {
	if r.Location == nil {
		return time.UTC
	}
	return r.Location
}

// DayStart is the start of now's day in loc (nil: UTC).
func DayStart(now time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// MonthStart is the start of now's calendar month in UTC (the ledger's month).
func MonthStart(now time.Time) time.Time {
	y, m, _ := now.UTC().Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

// AccountNames returns the accounts o may serve, sorted: the order in which
// a claim locks their rows, so that concurrent claims cannot deadlock.
func (o ClaimOptions) AccountNames() []string { return slices.Sorted(maps.Keys(o.Accounts)) }

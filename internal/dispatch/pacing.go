package dispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// ParseClock parses a time of day "HH:MM" (or "HH:MM:SS") into an offset
// from midnight, for Account.QuietStart and QuietEnd.
func ParseClock(s string) (time.Duration, error) {
	for _, layout := range []string{"15:04", "15:04:05"} {
		t, err := time.Parse(layout, s)
		if err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
				time.Duration(t.Second())*time.Second, nil
		}
	}
	return 0, fmt.Errorf("%q: want a time of day such as 22:30", s)
}

// quiet reports whether now falls in a's quiet hours and, if so, when they end.
// The window is read on the local wall clock, so it keeps its hours across
// daylight-saving changes.
func quiet(a *Account, now time.Time) (bool, time.Time) {
	start, end := a.QuietStart, a.QuietEnd
	if start == end {
		return false, time.Time{}
	}
	local := now.In(a.Location)
	y, m, d := local.Date()
	off := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute +
		time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
	wall := func(day int, off time.Duration) time.Time {
		h, mi, s := int(off/time.Hour), int(off%time.Hour/time.Minute), int(off%time.Minute/time.Second)
		return time.Date(y, m, day, h, mi, s, 0, a.Location)
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

// startOfDay is the start of now's day in loc.
func startOfDay(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// monthStart is the start of now's calendar month in UTC (the ledger's month).
func monthStart(now time.Time) time.Time {
	y, m, _ := now.UTC().Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

// postCost is what one post of a may cost: the dearer kind, since a post
// nearly always carries its link.
func postCost(a *Account) herald.Money { return max(a.Cost.PostWithLink, a.Cost.Post) }

// budgetLeft is how many more posts a's monthly budget allows at now. When
// none, it warns once per account and month; the jobs wait.
func (d *Dispatcher) budgetLeft(ctx context.Context, a *Account, now time.Time) (int, error) {
	ms := monthStart(now)
	spent, err := d.store.Spend(ctx, a.ID, ms)
	if err != nil {
		return 0, fmt.Errorf("dispatch: spend %s: %w", a.ID, err)
	}
	cost := postCost(a)
	if cost <= 0 {
		return d.opts.PerAccount, nil
	}
	left := int((a.Cost.MonthlyBudget - spent) / cost)
	if left <= 0 {
		month := ms.Format("2006-01")
		d.mu.Lock()
		warned := d.budgetWarned[a.ID] == month
		d.budgetWarned[a.ID] = month
		d.mu.Unlock()
		if !warned {
			d.log.Warn("monthly budget reached: posts wait for next month", "account", a.ID,
				"spent_usd", spent.Dollars(), "budget_usd", a.Cost.MonthlyBudget.Dollars())
		}
		d.metric(func(m *Metrics) { m.budget.WithLabelValues(a.ID).Set(1) })
		return 0, nil
	}
	d.metric(func(m *Metrics) { m.budget.WithLabelValues(a.ID).Set(0) })
	return left, nil
}

// overBudgetLastMonth reports whether job j, due since before this month,
// waited for a budget that ran out: such a job is skipped (budget) rather than
// sent weeks late out of the new month's budget.
func (d *Dispatcher) overBudgetLastMonth(ctx context.Context, a *Account, j herald.Job, now time.Time) (bool, error) {
	ms := monthStart(now)
	if a.Cost.MonthlyBudget <= 0 || !j.ScheduledAt.Before(ms) {
		return false, nil
	}
	prev := ms.AddDate(0, -1, 0)
	all, err := d.store.Spend(ctx, a.ID, prev)
	if err != nil {
		return false, err
	}
	this, err := d.store.Spend(ctx, a.ID, ms)
	if err != nil {
		return false, err
	}
	return (all-this)+postCost(a) > a.Cost.MonthlyBudget, nil
}

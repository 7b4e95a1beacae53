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
func quiet(a *Account, now time.Time) (bool, time.Time) { return a.rules(0).Quiet(now) }

// monthStart is the start of now's calendar month in UTC (the ledger's month).
func monthStart(now time.Time) time.Time { return herald.MonthStart(now) }

// postCost is what one post of a may cost: the dearer kind, since a post
// nearly always carries its link.
func postCost(a *Account) herald.Money { return max(a.Cost.PostWithLink, a.Cost.Post) }

// noteBudget records whether a's monthly budget is reached; the first time
// in a month it is, it warns once (the jobs wait).
func (d *Dispatcher) noteBudget(a *Account, reached bool, spent herald.Money, now time.Time) {
	if !reached {
		d.metric(func(m *Metrics) { m.gauge("herald_account_budget_reached", 0, "account", a.ID) })
		return
	}
	month := monthStart(now).Format("2006-01")
	d.mu.Lock()
	warned := d.budgetWarned[a.ID] == month
	d.budgetWarned[a.ID] = month
	d.mu.Unlock()
	if !warned {
		d.log.Warn("monthly budget reached: posts wait for next month", "account", a.ID,
			"spent_usd", spent.Dollars(), "budget_usd", a.Cost.MonthlyBudget.Dollars())
	}
	d.metric(func(m *Metrics) { m.gauge("herald_account_budget_reached", 1, "account", a.ID) })
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

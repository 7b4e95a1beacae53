package dispatch

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

func TestBurstIsSpacedByMinInterval(t *testing.T) {
	t.Parallel()
	fx, x, a := xFixture(t, func(a *Account) { a.MinInterval = time.Second })
	fx.articles(40, "x")
	d := fx.dispatcher([]Account{a}, Options{})

	// Step the clock by a tenth of the interval, as a daemon's timer would.
	for i := 0; i < 1000 && len(x.Posts()) < 40; i++ {
		fx.runOnce(d)
		fx.clock.Advance(100 * time.Millisecond)
	}
	posts := x.Posts()
	if len(posts) != 40 {
		t.Fatalf("%d posts, want 40", len(posts))
	}
	for i := 1; i < len(posts); i++ {
		if gap := posts[i].At.Sub(posts[i-1].At); gap < time.Second {
			t.Fatalf("posts %d and %d are %s apart, want ≥ 1s", i-1, i, gap)
		}
	}
	if span := posts[39].At.Sub(posts[0].At); span > 40*time.Second {
		t.Fatalf("the burst took %s, want about 39s (spaced, not stalled)", span)
	}
}

func TestDailyCapHoldsUntilLocalMidnight(t *testing.T) {
	t.Parallel()
	loc := zone(t, "America/Mexico_City") // UTC-6, no DST
	fx, x, a := xFixture(t, func(a *Account) { a.DailyCap, a.Location = 3, loc })
	fx.clock.Set(time.Date(2026, 3, 10, 20, 0, 0, 0, loc))
	fx.articles(5, "x")
	d := fx.dispatcher([]Account{a}, Options{})

	fx.runOnce(d)
	if n := len(x.Posts()); n != 3 {
		t.Fatalf("%d posts, want the cap of 3", n)
	}
	// 05:00 UTC is a new UTC day but still the same local day.
	fx.clock.Set(time.Date(2026, 3, 10, 23, 59, 0, 0, loc))
	if fx.runOnce(d); len(x.Posts()) != 3 {
		t.Fatalf("%d posts before local midnight, want 3", len(x.Posts()))
	}
	fx.clock.Set(time.Date(2026, 3, 11, 0, 0, 0, 0, loc))
	if fx.runOnce(d); len(x.Posts()) != 5 {
		t.Fatalf("%d posts after local midnight, want 5", len(x.Posts()))
	}
}

func TestQuietHoursSpanningMidnight(t *testing.T) {
	t.Parallel()
	loc := zone(t, "Europe/Madrid")
	fx, x, a := xFixture(t, func(a *Account) { a.QuietStart, a.QuietEnd, a.Location = 22*time.Hour, 6*time.Hour+30*time.Minute, loc })
	fx.clock.Set(time.Date(2026, 3, 10, 21, 59, 0, 0, loc))
	fx.articles(1, "x")
	d := fx.dispatcher([]Account{a}, Options{})
	if fx.runOnce(d); len(x.Posts()) != 1 {
		t.Fatal("not sent before quiet hours")
	}

	fx.clock.Set(time.Date(2026, 3, 10, 23, 0, 0, 0, loc))
	fx.articles(2, "x")
	for _, at := range []time.Time{
		time.Date(2026, 3, 10, 23, 0, 0, 0, loc),
		time.Date(2026, 3, 11, 0, 30, 0, 0, loc),
		time.Date(2026, 3, 11, 6, 29, 59, 0, loc),
	} {
		fx.clock.Set(at)
		if fx.runOnce(d); len(x.Posts()) != 1 {
			t.Fatalf("sent at %s, inside quiet hours", at)
		}
	}
	fx.clock.Set(time.Date(2026, 3, 11, 6, 30, 0, 0, loc))
	if fx.runOnce(d); len(x.Posts()) != 3 {
		t.Fatalf("%d posts when quiet hours end, want 3", len(x.Posts()))
	}
}

func TestQuiet(t *testing.T) {
	t.Parallel()
	madrid := zone(t, "Europe/Madrid")
	night := &Account{QuietStart: 22 * time.Hour, QuietEnd: 6*time.Hour + 30*time.Minute, Location: madrid}
	early := &Account{QuietStart: time.Hour, QuietEnd: 5 * time.Hour, Location: time.UTC}
	none := &Account{Location: time.UTC}
	at := func(loc *time.Location, mo time.Month, d, h, mi int) time.Time {
		return time.Date(2026, mo, d, h, mi, 0, 0, loc)
	}
	for _, tc := range []struct {
		a     *Account
		now   time.Time
		quiet bool
		until time.Time
	}{
		{night, at(madrid, 3, 10, 21, 59), false, time.Time{}},
		{night, at(madrid, 3, 10, 22, 0), true, at(madrid, 3, 11, 6, 30)},
		{night, at(madrid, 3, 11, 3, 0), true, at(madrid, 3, 11, 6, 30)},
		{night, at(madrid, 3, 11, 6, 30), false, time.Time{}},
		// 29 March 2026: clocks go forward at 02:00; the window still ends at 06:30 local.
		{night, at(madrid, 3, 28, 23, 0), true, at(madrid, 3, 29, 6, 30)},
		{night, at(madrid, 3, 31, 23, 30), true, at(madrid, 4, 1, 6, 30)},    // end of month
		{night, at(time.UTC, 3, 10, 21, 30), true, at(madrid, 3, 11, 6, 30)}, // 22:30 in Madrid
		{early, at(time.UTC, 3, 10, 0, 59), false, time.Time{}},
		{early, at(time.UTC, 3, 10, 1, 0), true, at(time.UTC, 3, 10, 5, 0)},
		{early, at(time.UTC, 3, 10, 5, 0), false, time.Time{}},
		{none, at(time.UTC, 3, 10, 3, 0), false, time.Time{}},
	} {
		q, until := quiet(tc.a, tc.now)
		if q != tc.quiet || !until.Equal(tc.until) {
			t.Errorf("quiet(%s–%s, %s) = %v, %s; want %v, %s", tc.a.QuietStart, tc.a.QuietEnd, tc.now, q, until, tc.quiet, tc.until)
		}
	}
}

func TestParseClock(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"22:00": 22 * time.Hour, "06:30": 6*time.Hour + 30*time.Minute, "00:00:30": 30 * time.Second} {
		if got, err := ParseClock(in); err != nil || got != want {
			t.Errorf("ParseClock(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "24:00", "7pm", "22:60"} {
		if _, err := ParseClock(bad); err == nil {
			t.Errorf("ParseClock(%q): no error", bad)
		}
	}
}

func TestBudgetMakesJobsWaitThenSkipsThemAtMonthEnd(t *testing.T) {
	t.Parallel()
	fx, x, a := budgetFixture(t)
	ids := fx.articles(5, "x")
	d := fx.dispatcher([]Account{a}, Options{})

	fx.runOnce(d)
	fx.clock.Advance(time.Hour)
	fx.runOnce(d)
	if n := len(x.Posts()); n != 3 {
		t.Fatalf("%d posts, want 3 within the budget", n)
	}
	spent, err := fx.store.Spend(context.Background(), "x", monthStart(fx.clock.Now()))
	if err != nil || spent != Dollars(0.60) {
		t.Fatalf("spend %d (%v), want 0.60 USD", spent, err)
	}
	if n := fx.logs.Count("monthly budget reached"); n != 1 {
		t.Fatalf("budget warning logged %d times, want once", n)
	}
	if j := fx.job(ids[3]); j.State != herald.JobPending {
		t.Fatalf("job over budget is %s, want pending (waiting)", j.State)
	}
	h, err := d.Health(context.Background())
	if err != nil || len(h) != 1 || h[0].OK() {
		t.Fatalf("health %+v (%v), want a budget warning", h, err)
	}

	// A new month: the stories that waited for the budget are skipped, new ones go out.
	fx.clock.Set(time.Date(2026, 4, 1, 0, 0, 1, 0, time.UTC))
	fresh := fx.articles(1, "x")
	fx.runOnce(d)
	for _, id := range ids[3:] {
		if j := fx.job(id); j.State != herald.JobSkipped || j.SkipReason != herald.SkipBudget {
			t.Errorf("job %d from March: %s %q, want skipped: budget", id, j.State, j.SkipReason)
		}
	}
	if j := fx.job(fresh[0]); j.State != herald.JobSent {
		t.Errorf("April's job is %s, want sent", j.State)
	}
}

func TestChargesGoToTheLedger(t *testing.T) {
	t.Parallel()
	fx, _, a := xFixture(t, func(a *Account) {
		a.Cost = XPrices
		a.Compose = func(art herald.Article, j herald.Job) (herald.Message, error) {
			if j.Text != "" {
				return herald.Message{Text: j.Text}, nil
			}
			return herald.Message{Text: art.Title + " " + art.URL, Link: art.URL}, nil
		}
	})
	ids := fx.articles(1, "x")
	if _, err := fx.store.CreateJob(context.Background(), herald.NewJob{ArticleID: fx.job(ids[0]).ArticleID,
		Account: "x", Kind: herald.KindAdhoc, Text: "No link in this one"}, fx.clock.Now()); err != nil {
		t.Fatal(err)
	}
	fx.runOnce(fx.dispatcher([]Account{a}, Options{}))
	spent, err := fx.store.Spend(context.Background(), "x", monthStart(fx.clock.Now()))
	if want := Dollars(0.20) + Dollars(0.015); err != nil || spent != want {
		t.Fatalf("spend %d (%v), want %d (one post with a link, one without)", spent, err, want)
	}
}

package evergreen

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank/ranktest"
	"github.com/heraldhq/herald/internal/testkit"
)

func TestNewSchedulerRefusesBadInput(t *testing.T) {
	t.Parallel()
	good := Criteria{Count: 1, Since: day}
	for _, o := range []SchedulerOptions{
		{Schedule: "0 10 * *", Criteria: good},
		{Schedule: "every day", Criteria: good},
		{Schedule: "0 10 * * 1-5", Criteria: Criteria{Since: day}},
	} {
		if _, err := NewScheduler(nil, o, nil); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	s, err := NewScheduler(nil, SchedulerOptions{Schedule: "CRON_TZ=America/Mexico_City 0 10 * * 1-5", Criteria: good}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Friday 2026-03-13 18:00 UTC is 12:00 in Mexico City: next is Monday 10:00 there.
	next := s.Next(time.Date(2026, 3, 13, 18, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 3, 16, 16, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Errorf("next tick %s, want %s", next.UTC(), want)
	}
	if got := s.lease(next); got != maxLease {
		t.Errorf("daily schedule: lease %s, want %s", got, maxLease)
	}
	if s, _ := NewScheduler(nil, SchedulerOptions{Schedule: "@every 1s", Criteria: good}, nil); s.lease(next) != time.Second {
		t.Errorf("every second: lease %s, want 1s", s.lease(next))
	}
}

func TestTickRunsOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	w, _ := fixture(t,
		story{key: "a", section: "mexico", age: 5 * day, likes: 30},
		story{key: "b", section: "mexico", age: 6 * day, likes: 20},
		story{key: "c", section: "business", age: 7 * day, likes: 10})
	ctx := context.Background()
	var woken atomic.Int32
	opts := SchedulerOptions{Schedule: "0 10 * * *", Accounts: accounts, Now: w.Clock.Now,
		Criteria: Criteria{Count: 1, Since: 30 * day, MinAge: 3 * day, MinGap: 30 * day, TimeBound: []string{"business"}},
		Created:  func() { woken.Add(1) }}
	opts.Owner = "one"
	one, err := NewScheduler(w.Store, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts.Owner = "two"
	two, err := NewScheduler(w.Store, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	tick := one.Next(w.Clock.Now())
	w.Clock.Set(tick)
	jobs, err := one.Tick(ctx, tick)
	if err != nil || len(jobs) != 1 || jobs[0].Article.Title != "Story a" || jobs[0].Kind != herald.KindRepost {
		t.Fatalf("first instance: %+v, %v; want a repost of story a", jobs, err)
	}
	w.Clock.Advance(300 * time.Millisecond)
	if jobs, err := two.Tick(ctx, tick); err != nil || len(jobs) != 0 {
		t.Errorf("second instance on the same tick: %d jobs, %v; want none", len(jobs), err)
	}
	if woken.Load() != 1 {
		t.Errorf("dispatcher woken %d times, want 1", woken.Load())
	}

	// The next day either instance may run; story a waits out its gap, b
	// goes, and c never does (time-bound).
	tick = two.Next(tick)
	w.Clock.Set(tick)
	jobs, err = two.Tick(ctx, tick)
	if err != nil || len(jobs) != 1 || jobs[0].Article.Title != "Story b" {
		t.Fatalf("next day: %+v, %v; want a repost of story b", jobs, err)
	}
	tick = one.Next(tick)
	w.Clock.Set(tick)
	if jobs, err = one.Tick(ctx, tick); err != nil || len(jobs) != 0 {
		t.Errorf("third day: %+v, %v; want nothing left to reshare", jobs, err)
	}
}

func TestRunTicksUntilCancelled(t *testing.T) {
	t.Parallel()
	w, _ := fixture(t, story{key: "a", section: "mexico", age: 5 * day, likes: 30})
	start := time.Now()
	// The fixture's clock, moving in real time from T0.
	now := func() time.Time { return ranktest.T0.Add(time.Since(start)) }
	created := make(chan struct{}, 1)
	s, err := NewScheduler(w.Store, SchedulerOptions{Schedule: "@every 1s", Accounts: accounts, Owner: "run", Now: now,
		Criteria: Criteria{Count: 1, Since: 30 * day, MinAge: 3 * day, MinGap: 30 * day},
		Created:  func() { created <- struct{}{} }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := testkit.Run(t, 5*time.Second, s.Run)
	select {
	case <-created:
	case <-time.After(10 * time.Second):
		t.Fatal("no tick within 10s of an every-second schedule")
	}
	if err := stop(); err != nil {
		t.Errorf("Run returned %v after cancel, want nil", err)
	}
	jobs, err := w.Store.ListJobs(context.Background(), herald.JobFilter{States: []herald.JobState{herald.JobPending}})
	if err != nil || len(jobs) != 1 || jobs[0].Seq != 1 {
		t.Errorf("pending jobs %+v, %v; want the one repost", jobs, err)
	}

	var off *Scheduler
	if err := off.Run(context.Background()); err != nil {
		t.Errorf("a nil scheduler: %v", err)
	}
}

package evergreen

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/lease"
)

// LockName is the store lock that lets one instance of several sharing a
// database run each evergreen tick. Unlike the collector's lock it is not
// held while an instance lives: it marks one tick as taken, for at most
// half the time to the next tick, so it never delays a later tick (after a
// restart either), and giving it back at shutdown would let a late instance
// run the same tick again.
const LockName = "evergreen"

// maxLease bounds the lock's lease: the longest clock difference between
// instances that cannot make two of them run one tick.
const maxLease = 10 * time.Minute

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	// Schedule is a standard five-field cron expression ("0 10 * * 1-5")
	// or a descriptor (@daily, @every 6h), in the machine's local time
	// unless it starts with CRON_TZ=Area/City.
	Schedule string
	Criteria Criteria
	// Accounts are the configured accounts, in the order reposts are made.
	Accounts []string
	// Owner is this instance's lock owner (dispatch.instance_id) [hostname-pid].
	Owner string
	// Created, if set, is told after a tick created jobs (the dispatcher's
	// Wake, so they go out now).
	Created func()
	Now     func() time.Time // [time.Now]
}

// Scheduler reshares the best performers on a cron schedule.
type Scheduler struct {
	store Store
	sched cron.Schedule
	opts  SchedulerOptions
	log   *slog.Logger
}

// NewScheduler checks the schedule and criteria and returns a scheduler;
// nothing runs until Run. A nil logger discards logs.
func NewScheduler(store Store, opts SchedulerOptions, logger *slog.Logger) (*Scheduler, error) {
	sched, err := cron.ParseStandard(opts.Schedule)
	if err != nil {
		return nil, fmt.Errorf("evergreen: schedule %q: %w", opts.Schedule, err)
	}
	if err := opts.Criteria.Check(); err != nil {
		return nil, fmt.Errorf("evergreen: %w", err)
	}
	if opts.Owner == "" {
		opts.Owner = lease.DefaultOwner()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{store: store, sched: sched, opts: opts, log: logger.With("component", "evergreen")}, nil
}

// Next returns the first tick after t.
func (s *Scheduler) Next(t time.Time) time.Time { return s.sched.Next(t) }

// Run waits for each tick of the schedule and runs it (see Tick) until ctx
// ends; it then returns nil. A tick that fails is logged and the next one
// comes as usual; ticks missed while no instance ran are not made up. Run
// on a nil *Scheduler (evergreen off) returns nil at once.
func (s *Scheduler) Run(ctx context.Context) error {
	if s == nil {
		return nil
	}
	next := s.Next(s.opts.Now())
	s.log.Info("evergreen schedule started", "schedule", s.opts.Schedule, "count", s.opts.Criteria.Count,
		"next", next.Format(time.RFC3339))
	timer := time.NewTimer(next.Sub(s.opts.Now()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		// The timer may fire a little early or late: the tick is the
		// scheduled time, the same on every instance.
		if wait := next.Sub(s.opts.Now()); wait > 0 {
			timer.Reset(wait)
			continue
		}
		if _, err := s.Tick(ctx, next); err != nil && ctx.Err() == nil {
			s.log.Error("evergreen: tick", "tick", next.Format(time.RFC3339), "error", err)
		}
		next = s.Next(s.opts.Now())
		timer.Reset(max(next.Sub(s.opts.Now()), 0))
	}
}

// Tick runs the tick scheduled at tick if this instance takes the lock:
// it selects the stories and creates their repost jobs, due now. It returns
// the jobs created (none when another instance holds the lock).
func (s *Scheduler) Tick(ctx context.Context, tick time.Time) ([]herald.Job, error) {
	now := s.opts.Now()
	ok, err := s.store.TryLock(ctx, LockName, s.opts.Owner, now, s.lease(tick))
	if err != nil {
		return nil, fmt.Errorf("evergreen: take lock: %w", err)
	}
	if !ok {
		s.log.Info("evergreen: another live instance runs this tick", "tick", tick.Format(time.RFC3339))
		return nil, nil
	}
	sel, err := Select(ctx, s.store, s.opts.Criteria, s.opts.Accounts, now)
	if err != nil {
		return nil, err
	}
	for _, k := range sel.Skipped {
		s.log.Debug("evergreen: story skipped", "article_id", k.ArticleID, "reason", k.Reason)
	}
	if len(sel.Picks) == 0 {
		s.log.Info("evergreen: no story to reshare", "skipped", len(sel.Skipped))
		return nil, nil
	}
	jobs, err := Reshare(ctx, s.store, sel.Picks, herald.NewJob{}, now, nil)
	if len(jobs) > 0 && s.opts.Created != nil {
		s.opts.Created()
	}
	for _, p := range sel.Picks {
		s.log.Info("evergreen: resharing", "article_id", p.Article.ID, "title", p.Article.Title,
			"rank", p.Row.Rank, "accounts", p.Accounts)
	}
	return jobs, err
}

// lease is how long the lock is held for the tick at tick: half the time to
// the tick after it, at most maxLease, so that every instance's attempt at
// this tick finds it held and the next tick finds it free.
func (s *Scheduler) lease(tick time.Time) time.Duration {
	return min(max(s.Next(tick).Sub(tick)/2, time.Second), maxLease)
}

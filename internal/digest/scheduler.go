package digest

import (
	"context"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/internal/tick"
)

// DefaultInterval is how often the scheduler looks at the digests: about
// the pause between the posts of a thread (X may refuse a reply to a post
// made a moment before).
const DefaultInterval = 5 * time.Second

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	Interval time.Duration // between looks [DefaultInterval]
	// Created, if set, is told when parts were created (the dispatcher's
	// Wake, so they go out now).
	Created func()
	Now     func() time.Time // [time.Now]
}

// Scheduler posts the daily digests of the accounts that have one.
type Scheduler struct {
	store   Store
	digests []*Digest
	opts    SchedulerOptions
	log     *slog.Logger
	done    map[string]string // account → the last day its digest was complete
}

// NewScheduler returns a scheduler of digests; nothing runs until Run. A nil
// logger discards logs.
func NewScheduler(store Store, digests []*Digest, opts SchedulerOptions, logger *slog.Logger) *Scheduler {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{store: store, digests: digests, opts: opts, log: logger.With("component", "digest"),
		done: make(map[string]string)}
}

// Run looks at the digests every Interval (see Tick) until ctx ends; it
// then returns nil. Run with no digest returns nil at once.
func (s *Scheduler) Run(ctx context.Context) error {
	if s == nil || len(s.digests) == 0 {
		return nil
	}
	return tick.Every(ctx, s.opts.Interval, func(ctx context.Context) { s.Tick(ctx) })
}

// Tick moves each due digest on by a part where it can and returns how many
// parts it created. Failures are logged; the next tick tries again. Tick is
// not safe for concurrent use (Run calls it from one goroutine).
func (s *Scheduler) Tick(ctx context.Context) int {
	now := s.opts.Now()
	created := 0
	for _, d := range s.digests {
		if !d.Due(now) || s.done[d.Account()] == d.Day(now) {
			continue
		}
		j, done, err := d.Step(ctx, s.store, now)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("digest step", "account", d.Account(), "day", d.Day(now), "error", err)
			}
			continue
		}
		if done {
			s.done[d.Account()] = d.Day(now)
		}
		if j != nil {
			created++
			s.log.Info("digest part created", "account", d.Account(), "day", d.Day(now), "job", j.ID,
				"reply_to", j.ReplyTo)
		}
	}
	if created > 0 && s.opts.Created != nil {
		s.opts.Created()
	}
	return created
}

// Package review ends the review of posts held too long: after
// publish.review_timeout a held post is sent, or dropped, as configured.
// Approving and rejecting are the store's (herald.ReviewStore), called from
// the CLI and the dashboard.
package review

import (
	"context"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/tick"
)

// Store is what the sweeper needs of the store.
type Store interface {
	ReleaseHeld(ctx context.Context, before time.Time, drop bool, now time.Time) (int, error)
}

// Sweeper releases the posts held longer than Timeout.
type Sweeper struct {
	Store   Store
	Timeout time.Duration // 0: posts wait for a decision; Run only waits for ctx
	Drop    bool          // drop them (SkipReviewTimeout) rather than send them
	// Interval is the time between two looks (default: a tenth of Timeout,
	// between 1s and 1m).
	Interval time.Duration
	Now      func() time.Time // default time.Now
	Wake     func()           // told when posts became pending (may be nil)
	Logger   *slog.Logger
}

// Run sweeps every Interval until ctx is done; a failed sweep is logged and
// tried again at the next.
func (s *Sweeper) Run(ctx context.Context) error {
	if s.Timeout <= 0 {
		<-ctx.Done()
		return nil
	}
	iv := s.Interval
	if iv <= 0 {
		iv = min(max(s.Timeout/10, time.Second), time.Minute)
	}
	return tick.Every(ctx, iv, func(ctx context.Context) {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.logger().Error("review: release held posts", "error", err)
		}
	})
}

// Sweep releases once the posts held for Timeout or longer and returns how
// many.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	n, err := s.Store.ReleaseHeld(ctx, now.Add(-s.Timeout), s.Drop, now)
	if err != nil || n == 0 {
		return n, err
	}
	if s.Drop {
		s.logger().Info("review: held posts dropped after review_timeout", "posts", n, "reason", herald.SkipReviewTimeout)
	} else {
		s.logger().Info("review: held posts sent after review_timeout", "posts", n)
		if s.Wake != nil {
			s.Wake()
		}
	}
	return n, nil
}

func (s *Sweeper) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

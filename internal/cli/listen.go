package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/metrics"
)

// jobListener wakes this instance's dispatcher when another instance (or a
// command) creates or retries jobs in a shared PostgreSQL database, through
// LISTEN/NOTIFY, so a story taken in by one instance's webhook may be sent
// by an idle one at once rather than at its next look at the queue (at most
// a second later). Without it nothing is lost, only that second; so a
// failing listener is retried with a backoff and never stops the daemon.
type jobListener struct {
	jobs    herald.JobNotifier
	wake    func()
	log     *slog.Logger
	wakeups *metrics.Counter
}

// newJobListener listens through jobs (the store: SQLite's never calls, as
// its one process's own writers wake the dispatcher directly). The
// notifications of new or retried jobs received from the shared database are
// counted in set as herald_dispatch_notifications_total.
func newJobListener(jobs herald.JobNotifier, wake func(), set *metrics.Set, logger *slog.Logger) *jobListener {
	return &jobListener{jobs: jobs, wake: wake, log: logger,
		wakeups: set.GetOrCreateCounter("herald_dispatch_notifications_total")}
}

// Run listens until ctx is done.
func (l *jobListener) Run(ctx context.Context) error {
	const first, most = time.Second, 30 * time.Second
	wait := first
	for ctx.Err() == nil {
		began := time.Now()
		err := l.jobs.ListenJobs(ctx, func() {
			l.wakeups.Inc()
			l.wake()
		})
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if time.Since(began) > most {
			wait = first // it had been listening: start the backoff again
		}
		l.log.Warn("listen for new jobs failed; the dispatcher still looks at the queue every second",
			"error", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, most)
	}
	return nil
}

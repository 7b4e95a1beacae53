package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// JobsChannel is the LISTEN/NOTIFY channel on which the store announces, at
// commit, that jobs became due: created by SaveArticles or CreateJob, or put
// back by RetryJob and RetryFailed. Idle dispatchers Listen on it instead of
// waiting for their next poll.
const JobsChannel = "herald_jobs"

// notifyJobs announces new jobs on JobsChannel when tx commits. PostgreSQL
// folds identical notifications of one transaction into one.
func notifyJobs(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, JobsChannel)
	return err
}

// Notify sends a notification on channel (to every instance listening).
func (db *DB) Notify(ctx context.Context, channel string) error {
	if _, err := db.pool.Exec(ctx, `SELECT pg_notify($1, '')`, channel); err != nil {
		return fmt.Errorf("postgres: notify %s: %w", channel, err)
	}
	return nil
}

// Listen calls fn for each notification on channel, on one connection of
// its own, until ctx is done (it then returns nil) or the connection fails.
// fn runs on Listen's goroutine: it should only signal (a non-blocking send
// on a channel), not work. Notifications sent while fn runs are not lost;
// those sent while no Listen runs are.
func (db *DB) Listen(ctx context.Context, channel string, fn func()) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return ignoreDone(ctx, fmt.Errorf("postgres: listen %s: %w", channel, err))
	}
	// The session stays subscribed: close it rather than return it to the pool.
	defer func() {
		conn.Conn().Close(context.WithoutCancel(ctx))
		conn.Release()
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return ignoreDone(ctx, fmt.Errorf("postgres: listen %s: %w", channel, err))
	}
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return ignoreDone(ctx, fmt.Errorf("postgres: listen %s: %w", channel, err))
		}
		fn()
	}
}

// ignoreDone drops err once ctx has ended: it only says so.
func ignoreDone(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// ListenJobs calls fn for each notification on JobsChannel (see Listen).
func (db *DB) ListenJobs(ctx context.Context, fn func()) error {
	return db.Listen(ctx, JobsChannel, fn)
}

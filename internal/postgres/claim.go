package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
)

// candidate is a job ClaimJobs may take.
type candidate struct {
	id        int64
	account   string
	priority  int
	published int64
	reconcile bool
}

// compareCandidates is the dispatch order: priority, then oldest
// publication, then ID.
func compareCandidates(a, b candidate) int {
	if c := cmp.Compare(b.priority, a.priority); c != 0 {
		return c
	}
	if c := cmp.Compare(a.published, b.published); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// ClaimJobs leases due jobs to opts.Owner in one transaction; see
// herald.Store and herald.ClaimOptions. A zero Lease means 30 s. Job rows
// another instance is claiming are skipped, not waited for; the row of an
// account with spacing is locked for the claim (and then held), so that two
// instances never both send for it within its spacing.
func (db *DB) ClaimJobs(ctx context.Context, opts herald.ClaimOptions) ([]herald.Job, error) {
	if opts.Owner == "" {
		return nil, errors.New("postgres: claim jobs: no owner")
	}
	if len(opts.Accounts) == 0 {
		return nil, nil
	}
	now := opts.Now.UnixMilli()
	until := opts.Now.Add(defaultLease(opts.Lease)).UnixMilli()
	var out []herald.Job
	err := db.write(ctx, asyncCommit, func(tx pgx.Tx) error {
		out = nil
		chosen, err := claimCandidates(ctx, tx, opts)
		if err != nil || len(chosen) == 0 {
			return err
		}
		ids := make([]int64, len(chosen))
		var stuck []int64
		held := make(map[string]bool)
		for i, c := range chosen {
			ids[i] = c.id
			if c.reconcile {
				stuck = append(stuck, c.id)
			}
			if sp := opts.Accounts[c.account]; sp > 0 && !held[c.account] {
				held[c.account] = true
				if _, err := tx.Exec(ctx, `UPDATE accounts SET hold_until = greatest(coalesce(hold_until, 0), $1),
					hold_reason = 'spacing' WHERE id = $2`, opts.Now.Add(sp).UnixMilli(), c.account); err != nil {
					return err
				}
			}
		}
		if err := expireAttempts(ctx, tx, stuck, now); err != nil {
			return err
		}
		// A job left sending by an expired lease has an unknown outcome: it
		// is reconciled before any resend (also if given back unattempted).
		jobs, err := queryJobs(ctx, tx, `UPDATE jobs j SET claimed_by = $1, lease_until = $2, updated_at = $3,
			error_kind = CASE WHEN j.id = ANY($5) THEN $6 ELSE j.error_kind END,
			last_error = CASE WHEN j.id = ANY($5) THEN $7 ELSE j.last_error END
			WHERE j.id = ANY($4) RETURNING `+jobCols,
			opts.Owner, until, now, ids, stuck, string(herald.ErrUnknownOutcome), leaseExpired)
		if err != nil {
			return err
		}
		byID := make(map[int64]herald.Job, len(jobs))
		for _, j := range jobs {
			j.Reconcile = j.ErrorKind == herald.ErrUnknownOutcome
			byID[j.ID] = j
		}
		for _, c := range chosen {
			out = append(out, byID[c.id])
		}
		return attachArticles(ctx, tx, out)
	})
	if err != nil {
		return nil, wrap("claim jobs", err)
	}
	return out, nil
}

// claimCandidates picks and locks the jobs to claim: for each account that
// may send (not paused, hold passed), its first due pending jobs and its jobs
// left in sending by an expired lease, at most one per spaced account and
// PerAccount per other account, then the first opts.Limit of all in
// dispatch order.
func claimCandidates(ctx context.Context, tx pgx.Tx, opts herald.ClaimOptions) ([]candidate, error) {
	now := opts.Now.UnixMilli()
	var spaced, free []string
	for _, name := range slices.Sorted(maps.Keys(opts.Accounts)) {
		if opts.Accounts[name] > 0 {
			spaced = append(spaced, name)
		} else {
			free = append(free, name)
		}
	}
	// A spaced account's row stays locked until commit: an instance claiming
	// for it meanwhile waits, then sees the new hold and passes.
	if len(spaced) > 0 {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM accounts WHERE id = ANY($1) AND NOT paused
			AND (hold_until IS NULL OR hold_until <= $2) ORDER BY id FOR NO KEY UPDATE`, spaced, now); err != nil {
			return nil, err
		}
	}
	names := append(spaced, free...)
	ks := make([]int32, len(names))
	for i, acct := range names {
		k := max(opts.PerAccount, 1)
		if opts.Accounts[acct] > 0 {
			k = 1
		}
		if opts.Limit > 0 {
			k = min(k, opts.Limit)
		}
		ks[i] = int32(k)
	}
	// Per account: its first k jobs left sending and its first k due, each
	// locked (skipping rows another claimer holds), then the first k of both.
	rows, err := tx.Query(ctx, `SELECT c.id, c.account_id, c.priority, c.published_at, c.stuck
		FROM unnest($1::text[], $2::int[]) AS a(name, k)
		JOIN accounts acct ON acct.id = a.name AND NOT acct.paused
			AND (acct.hold_until IS NULL OR acct.hold_until <= $3)
		CROSS JOIN LATERAL (
			SELECT * FROM (
				SELECT * FROM (SELECT id, account_id, priority, published_at, true AS stuck FROM jobs
					WHERE account_id = a.name AND state = 'sending' AND (lease_until IS NULL OR lease_until <= $3)
					ORDER BY priority DESC, published_at, id LIMIT a.k FOR UPDATE SKIP LOCKED) s
				UNION ALL
				SELECT * FROM (SELECT id, account_id, priority, published_at, false AS stuck FROM jobs
					WHERE account_id = a.name AND state = 'pending' AND next_attempt_at <= $3
					AND (lease_until IS NULL OR lease_until <= $3)
					ORDER BY priority DESC, published_at, id LIMIT a.k FOR UPDATE SKIP LOCKED) d
			) u ORDER BY priority DESC, published_at, id LIMIT a.k
		) c`, names, ks, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.account, &c.priority, &c.published, &c.reconcile); err != nil {
			return nil, err
		}
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(all, compareCandidates)
	if opts.Limit > 0 && len(all) > opts.Limit {
		all = all[:opts.Limit]
	}
	return all, nil
}

const leaseExpired = "the lease expired before the outcome was recorded"

// expireAttempts closes the attempts of jobs found in sending with an
// expired lease: their outcome is unknown.
func expireAttempts(ctx context.Context, tx pgx.Tx, jobIDs []int64, now int64) error {
	if len(jobIDs) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE attempts SET finished_at = $1, outcome = $2, error = $3
		WHERE job_id = ANY($4) AND finished_at IS NULL`, now, string(herald.ErrUnknownOutcome), leaseExpired, jobIDs)
	return err
}

// StartAttempt marks a job claimed by owner sending, records the attempt and
// extends the lease to now+lease.
func (db *DB) StartAttempt(ctx context.Context, jobID int64, owner string, now time.Time, lease time.Duration) error {
	if owner == "" {
		return errors.New("postgres: start attempt: no owner")
	}
	// One statement, so one round trip and one commit. It must reach the
	// disk before the network is called: it is what makes a crash
	// mid-send reconcile rather than send again.
	var started int
	err := db.pool.QueryRow(ctx, `WITH j AS (
			UPDATE jobs SET state = 'sending', attempts = attempts + 1,
				attempt_started_at = $1, lease_until = $2, updated_at = $1
			WHERE id = $3 AND claimed_by = $4 AND state IN ('pending', 'sending') RETURNING id),
		closed AS (
			UPDATE attempts SET finished_at = $1, outcome = $5, error = $6
			WHERE job_id IN (SELECT id FROM j) AND finished_at IS NULL),
		opened AS (
			INSERT INTO attempts (job_id, n, owner, started_at)
			SELECT id, (SELECT coalesce(max(n), 0) + 1 FROM attempts WHERE job_id = $3), $4, $1 FROM j)
		SELECT count(*) FROM j`,
		now.UnixMilli(), now.Add(defaultLease(lease)).UnixMilli(), jobID, owner,
		string(herald.ErrUnknownOutcome), leaseExpired).Scan(&started)
	if err == nil && started == 0 {
		err = notFoundOr(ctx, db.pool, "jobs", jobID, herald.ErrLeaseLost)
	}
	return wrap(fmt.Sprintf("start attempt of job %d", jobID), err)
}

// FinishJob records an attempt's outcome and releases owner's lease; see
// herald.Store. An attempt given back unattempted is not counted, and a job
// that still needs reconciling keeps needing it until an attempt finishes.
func (db *DB) FinishJob(ctx context.Context, jobID int64, owner string, o herald.Outcome, now time.Time) error {
	switch o.State {
	case herald.JobSent, herald.JobSkipped, herald.JobFailed, herald.JobPending:
	default:
		return fmt.Errorf("postgres: finish job %d: outcome state %q", jobID, o.State)
	}
	if owner == "" {
		return errors.New("postgres: finish job: no owner")
	}
	err := db.write(ctx, asyncCommit, func(tx pgx.Tx) error {
		var attempts int
		var open *int // the attempt StartAttempt opened, if any
		var kind herald.ErrorKind
		var lastErr string
		err := tx.QueryRow(ctx, `SELECT j.attempts, j.error_kind, j.last_error,
			(SELECT max(n) FROM attempts WHERE job_id = j.id AND finished_at IS NULL) FROM jobs j
			WHERE j.id = $1 AND j.claimed_by = $2 AND j.state IN ('pending', 'sending') FOR UPDATE OF j`, jobID, owner).
			Scan(&attempts, &kind, &lastErr, &open)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFoundOr(ctx, tx, "jobs", jobID, herald.ErrLeaseLost)
		}
		if err != nil {
			return err
		}
		// Both updates in one round trip.
		b := &pgx.Batch{}
		attempts = closeAttempt(b, jobID, open, attempts, o, now)
		switch {
		case o.Attempted || o.State.Terminal():
			kind, lastErr = o.ErrorKind, o.Error
		default: // given back unattempted: an unknown outcome still stands
			if o.ErrorKind != "" && kind != herald.ErrUnknownOutcome {
				kind = o.ErrorKind
			}
			if o.Error != "" {
				lastErr = o.Error
			}
		}
		finishRow(b, jobID, attempts, kind, lastErr, o, now)
		return tx.SendBatch(ctx, b).Close()
	})
	return wrap(fmt.Sprintf("finish job %d", jobID), err)
}

// closeAttempt queues the closing of the attempt StartAttempt opened, or
// its removal when the job was given back before the network was called,
// and returns the job's attempt count.
func closeAttempt(b *pgx.Batch, jobID int64, open *int, attempts int, o herald.Outcome, now time.Time) int {
	if open == nil {
		return attempts
	}
	if !o.Attempted {
		b.Queue(`DELETE FROM attempts WHERE job_id = $1 AND n = $2`, jobID, *open)
		return max(attempts-1, 0)
	}
	outcome := string(o.State)
	if o.State == herald.JobPending && o.ErrorKind != "" {
		outcome = string(o.ErrorKind)
	}
	b.Queue(`UPDATE attempts SET finished_at = $1, outcome = $2, error = $3 WHERE job_id = $4 AND n = $5`,
		now.UnixMilli(), outcome, o.Error, jobID, *open)
	return attempts
}

// finishRow queues the update of the job's row with the outcome.
func finishRow(b *pgx.Batch, jobID int64, attempts int, kind herald.ErrorKind, lastErr string, o herald.Outcome, now time.Time) {
	next := o.NextAttemptAt
	if next.IsZero() {
		next = now
	}
	var skip string
	if o.State == herald.JobSkipped {
		skip = o.SkipReason
	}
	if o.State != herald.JobSent {
		b.Queue(`UPDATE jobs SET state = $1, attempts = $2, error_kind = $3, last_error = $4,
			skip_reason = $5, next_attempt_at = CASE WHEN $1 = 'pending' THEN $6 ELSE next_attempt_at END,
			claimed_by = '', lease_until = NULL, updated_at = $7 WHERE id = $8`,
			string(o.State), attempts, string(kind), lastErr, skip, next.UnixMilli(), now.UnixMilli(), jobID)
		return
	}
	sentAt := o.SentAt
	if sentAt.IsZero() {
		sentAt = now
	}
	b.Queue(`UPDATE jobs SET state = 'sent', attempts = $1, error_kind = $2, last_error = $3,
		skip_reason = '', sent_text = $4, remote_id = $5, permalink = $6, sent_at = $7, claimed_by = '',
		lease_until = NULL, updated_at = $8 WHERE id = $9`,
		attempts, string(kind), lastErr, o.SentText, o.RemoteID, o.Permalink, sentAt.UnixMilli(),
		now.UnixMilli(), jobID)
}

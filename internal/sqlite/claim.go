package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

const (
	// Whether an account (?1) may not be claimed for owner ?4 at ?2 (see
	// mayClaim); ?3 is true when it is served one job at a time.
	qClaimedElsewhere = `SELECT EXISTS (SELECT 1 FROM accounts a JOIN jobs j ON j.id = a.claim_job
			WHERE a.id = ?1 AND j.claimed_by <> '' AND j.lease_until > ?2 AND (?3 OR j.claimed_by <> ?4))
		OR EXISTS (SELECT 1 FROM jobs WHERE state = 'sending' AND account_id = ?1
			AND claimed_by NOT IN ('', ?4) AND lease_until > ?2)`
	// An account's jobs to claim: left in sending by an expired lease, and due.
	qStuck = `SELECT id, account_id, priority, published_at FROM jobs
		WHERE account_id = ?1 AND state = 'sending' AND (lease_until IS NULL OR lease_until <= ?2)
		ORDER BY priority DESC, published_at, id LIMIT ?3`
	qDue = `SELECT id, account_id, priority, published_at FROM jobs INDEXED BY jobs_pending
		WHERE account_id = ?1 AND state = 'pending' AND next_attempt_at <= ?2
		AND (lease_until IS NULL OR lease_until <= ?2)
		ORDER BY priority DESC, published_at, id LIMIT ?3`
)

// claimCandidates picks the jobs to claim: for each account that may send
// (not paused, hold passed, no live claim of another instance: see
// mayClaim), its first due pending jobs and its jobs left in sending by an
// expired lease, at most one per serial account and PerAccount per other
// account, then the first opts.Limit of all in dispatch order.
func claimCandidates(ctx context.Context, q sqlstore.Querier, opts herald.ClaimOptions) ([]sqlstore.Candidate, error) {
	now := opts.Now.UnixMilli()
	names := opts.AccountNames()
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	ready, err := sqlstore.Strings(q.Query(ctx, `SELECT id FROM accounts WHERE id IN (`+placeholders(len(names))+`)
		AND paused = 0 AND (hold_until IS NULL OR hold_until <= ?) ORDER BY id`, append(args, now)...))
	if err != nil {
		return nil, err
	}
	var all []sqlstore.Candidate
	for _, acct := range ready {
		ok, err := mayClaim(ctx, q, opts, acct, now)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		k := max(opts.PerAccount, 1)
		if opts.Serial(acct) {
			k = 1
		}
		if opts.Limit > 0 {
			k = min(k, opts.Limit)
		}
		stuck, err := candidates(ctx, q, true, qStuck, acct, now, k)
		if err != nil {
			return nil, err
		}
		due, err := candidates(ctx, q, false, qDue, acct, now, k)
		if err != nil {
			return nil, err
		}
		mine := append(stuck, due...)
		sqlstore.SortCandidates(mine)
		all = append(all, mine[:min(k, len(mine))]...)
	}
	return sqlstore.FirstCandidates(all, opts.Limit), nil
}

// mayClaim reports whether opts.Owner may be given jobs of acct now: no
// other instance holds a live claim on it (on its last claimed job, or on
// a job it is sending), an account served one job at a time (it has
// spacing or a limit) has none of its jobs claimed at all (a call may be in
// flight), and none of its limits is reached. The write transaction is the
// only one, so none of this can change meanwhile.
func mayClaim(ctx context.Context, q sqlstore.Querier, opts herald.ClaimOptions, acct string, now int64) (bool, error) {
	var claimed bool
	if err := q.QueryRow(ctx, qClaimedElsewhere, acct, now, opts.Serial(acct), opts.Owner).Scan(&claimed); err != nil || claimed {
		return false, err
	}
	for _, l := range opts.Limits {
		if l.Account != acct {
			continue
		}
		var sent int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM jobs INDEXED BY jobs_sent
			WHERE account_id = ? AND state = 'sent' AND sent_at >= ?`, acct, l.Since.UnixMilli()).Scan(&sent); err != nil {
			return false, err
		}
		if sent >= l.Max {
			return false, nil
		}
	}
	return true, nil
}

func candidates(ctx context.Context, q sqlstore.Querier, reconcile bool, query string, args ...any) ([]sqlstore.Candidate, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []sqlstore.Candidate
	for rows.Next() {
		c := sqlstore.Candidate{Reconcile: reconcile}
		if err := rows.Scan(&c.ID, &c.Account, &c.Priority, &c.Published); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// leaseClaimed leases the chosen jobs and returns them; the attempt of one
// left sending by an expired lease is closed as of unknown outcome first.
func leaseClaimed(ctx context.Context, q sqlstore.Querier, opts herald.ClaimOptions, chosen []sqlstore.Candidate, now, until int64) ([]herald.Job, error) {
	args := []any{opts.Owner, until, now}
	for _, c := range chosen {
		if c.Reconcile {
			if err := expireAttempt(ctx, q, c.ID, now); err != nil {
				return nil, err
			}
		}
		args = append(args, c.ID)
	}
	in := `(` + placeholders(len(chosen)) + `)`
	if _, err := q.Exec(ctx, `UPDATE jobs SET claimed_by = ?, lease_until = ?, updated_at = ? WHERE id IN `+in, args...); err != nil {
		return nil, err
	}
	return sqlstore.QueryJobs(ctx, q, `SELECT `+sqlstore.JobCols+` FROM jobs j WHERE j.id IN `+in, args[3:]...)
}

// expireAttempt records that the attempt of a job found in sending with an
// expired lease has an unknown outcome, so it is reconciled before any resend
// (also if it is given back unattempted).
func expireAttempt(ctx context.Context, q sqlstore.Querier, jobID, now int64) error {
	if err := closeOpenAttempts(ctx, q, jobID, now); err != nil {
		return err
	}
	_, err := q.Exec(ctx, `UPDATE jobs SET error_kind = ?, last_error = ? WHERE id = ?`,
		string(herald.ErrUnknownOutcome), sqlstore.LeaseExpired, jobID)
	return err
}

// closeOpenAttempts closes a job's attempts left open by a lost lease.
func closeOpenAttempts(ctx context.Context, q sqlstore.Querier, jobID, now int64) error {
	_, err := q.Exec(ctx, `UPDATE attempts SET finished_at = ?, outcome = ?, error = ?
		WHERE job_id = ? AND finished_at IS NULL`, now, string(herald.ErrUnknownOutcome), sqlstore.LeaseExpired, jobID)
	return err
}

// StartAttempt marks a job claimed by owner sending, records the attempt and
// extends the lease to now+lease.
func (db *DB) StartAttempt(ctx context.Context, jobID int64, owner string, now time.Time, lease time.Duration) error {
	if err := db.Dialect().CheckOwner("start attempt", owner); err != nil {
		return err
	}
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'sending', attempts = attempts + 1,
			attempt_started_at = ?1, lease_until = ?2, updated_at = ?1
			WHERE id = ?3 AND claimed_by = ?4 AND state IN ('pending', 'sending')`,
			now.UnixMilli(), now.Add(sqlstore.DefaultLease(lease)).UnixMilli(), jobID, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sqlstore.NotFoundOr(ctx, sq(tx), "jobs", jobID, herald.ErrLeaseLost)
		}
		if err := closeOpenAttempts(ctx, sq(tx), jobID, now.UnixMilli()); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO attempts (job_id, n, owner, started_at)
			VALUES (?1, (SELECT coalesce(max(n), 0) + 1 FROM attempts WHERE job_id = ?1), ?2, ?3)`,
			jobID, owner, now.UnixMilli())
		return err
	})
	return wrap(fmt.Sprintf("start attempt of job %d", jobID), err)
}

// FinishJob records an attempt's outcome (and its charge) and releases
// owner's lease; see
// herald.Store. An attempt given back unattempted is not counted, and a job
// that still needs reconciling keeps needing it until an attempt finishes.
func (db *DB) FinishJob(ctx context.Context, jobID int64, owner string, o herald.Outcome, now time.Time) error {
	if err := db.Dialect().CheckOutcome(jobID, owner, o); err != nil {
		return err
	}
	// Lost in a crash, the job stays sending and is reconciled (writeAsync).
	err := db.writeAsync(ctx, func(tx *txn) error {
		var attempts int
		var kind herald.ErrorKind
		var lastErr string
		err := tx.QueryRowContext(ctx, `SELECT attempts, error_kind, last_error FROM jobs
			WHERE id = ? AND claimed_by = ? AND state IN ('pending', 'sending')`, jobID, owner).
			Scan(&attempts, &kind, &lastErr)
		if errors.Is(err, sql.ErrNoRows) {
			return sqlstore.NotFoundOr(ctx, sq(tx), "jobs", jobID, herald.ErrLeaseLost)
		}
		if err != nil {
			return err
		}
		attempts, err = closeAttempt(ctx, tx, jobID, attempts, o, now)
		if err != nil {
			return err
		}
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
		if err := finishRow(ctx, tx, jobID, attempts, kind, lastErr, o, now); err != nil {
			return err
		}
		if o.Charge == nil {
			return nil
		}
		c := sqlstore.ChargeStmt(*o.Charge, now)
		_, err = tx.ExecContext(ctx, c.SQL, c.Args...)
		return err
	})
	return wrap(fmt.Sprintf("finish job %d", jobID), err)
}

// closeAttempt closes the attempt StartAttempt opened, or drops it when the
// job was given back before the network was called, and returns the job's
// attempt count.
func closeAttempt(ctx context.Context, tx *txn, jobID int64, attempts int, o herald.Outcome, now time.Time) (int, error) {
	var open int64
	err := tx.QueryRowContext(ctx, `SELECT n FROM attempts WHERE job_id = ? AND finished_at IS NULL
		ORDER BY n DESC LIMIT 1`, jobID).Scan(&open)
	if errors.Is(err, sql.ErrNoRows) {
		return attempts, nil
	}
	if err != nil {
		return 0, err
	}
	if !o.Attempted {
		_, err := tx.ExecContext(ctx, `DELETE FROM attempts WHERE job_id = ? AND n = ?`, jobID, open)
		return max(attempts-1, 0), err
	}
	_, err = tx.ExecContext(ctx, `UPDATE attempts SET finished_at = ?, outcome = ?, error = ? WHERE job_id = ? AND n = ?`,
		now.UnixMilli(), sqlstore.RowOf(o, now).Attempt, o.Error, jobID, open)
	return attempts, err
}

func finishRow(ctx context.Context, tx *txn, jobID int64, attempts int,
	kind herald.ErrorKind, lastErr string, o herald.Outcome, now time.Time) error {
	r := sqlstore.RowOf(o, now)
	if o.State != herald.JobSent {
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = ?, attempts = ?, error_kind = ?, last_error = ?,
			skip_reason = ?, next_attempt_at = CASE WHEN ? = 'pending' THEN ? ELSE next_attempt_at END,
			claimed_by = '', lease_until = NULL, updated_at = ? WHERE id = ?`,
			string(o.State), attempts, string(kind), lastErr, r.Skip, string(o.State), r.Next,
			now.UnixMilli(), jobID)
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'sent', attempts = ?, error_kind = ?, last_error = ?,
		skip_reason = '', sent_text = ?, remote_id = ?, permalink = ?, sent_at = ?, claimed_by = '',
		lease_until = NULL, updated_at = ? WHERE id = ?`,
		attempts, string(kind), lastErr, o.SentText, o.RemoteID, o.Permalink, r.SentAt,
		now.UnixMilli(), jobID)
	return err
}

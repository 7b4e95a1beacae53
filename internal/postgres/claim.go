package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

// claimCandidates picks and locks the jobs to claim: for each account that
// may send (not paused, hold passed, no live claim of another instance),
// its first due pending jobs and its jobs left in sending by an expired
// lease, at most one per account with spacing or a limit and PerAccount per
// other account, then the first opts.Limit of all in dispatch order.
func claimCandidates(ctx context.Context, q sqlstore.Querier, opts herald.ClaimOptions) ([]sqlstore.Candidate, error) {
	now := opts.Now.UnixMilli()
	// The rows of the accounts served stay locked until commit. An account
	// whose row another claim holds is skipped: that claim serves it, and
	// claims never wait for one another. Any claim that held a row locked
	// here has committed, so the statement below (a new snapshot) sees the
	// jobs it claimed, its hold and the sends that count against limits.
	names, err := sqlstore.Strings(q.Query(ctx, `SELECT id FROM accounts WHERE id = ANY($1) AND NOT paused
		AND (hold_until IS NULL OR hold_until <= $2) ORDER BY id FOR NO KEY UPDATE SKIP LOCKED`, opts.AccountNames(), now))
	if err != nil || len(names) == 0 {
		return nil, err
	}
	ks := make([]int32, len(names))
	isSerial := make([]bool, len(names))
	for i, acct := range names {
		k := max(opts.PerAccount, 1)
		if opts.Serial(acct) {
			k = 1
			isSerial[i] = true
		}
		if opts.Limit > 0 {
			k = min(k, opts.Limit)
		}
		ks[i] = int32(k)
	}
	limAcct := make([]string, len(opts.Limits))
	limMax := make([]int64, len(opts.Limits))
	limSince := make([]int64, len(opts.Limits))
	for i, l := range opts.Limits {
		limAcct[i], limMax[i], limSince[i] = l.Account, int64(l.Max), l.Since.UnixMilli()
	}
	// Per account: its first k jobs left sending and its first k due, each
	// locked (skipping rows another claimer holds), then the first k of both;
	// nothing while another instance holds a live claim on it (on its last
	// claimed job, or on a job it is sending), for a serial account while
	// any of its jobs is claimed, nor for one that has reached a limit.
	rows, err := q.Query(ctx, `SELECT c.ID, c.account_id, c.Priority, c.published_at, c.stuck
		FROM unnest($1::text[], $2::int[], $4::bool[]) AS a(name, k, serial)
		JOIN accounts acct ON acct.id = a.name AND NOT acct.paused
			AND (acct.hold_until IS NULL OR acct.hold_until <= $3)
			AND NOT EXISTS (SELECT 1 FROM jobs x WHERE x.id = acct.claim_job
				AND x.claimed_by <> '' AND x.lease_until > $3 AND (a.serial OR x.claimed_by <> $8))
			AND NOT EXISTS (SELECT 1 FROM jobs x WHERE x.account_id = a.name AND x.state = 'sending'
				AND x.claimed_by NOT IN ('', $8) AND x.lease_until > $3)
			AND NOT EXISTS (SELECT 1 FROM unnest($5::text[], $6::bigint[], $7::bigint[]) AS l(account, max, since)
				WHERE l.account = a.name AND (SELECT count(*) FROM jobs s WHERE s.account_id = a.name
					AND s.state = 'sent' AND s.sent_at >= l.since) >= l.max)
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
		) c`, names, ks, now, isSerial, limAcct, limMax, limSince, opts.Owner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []sqlstore.Candidate
	for rows.Next() {
		var c sqlstore.Candidate
		if err := rows.Scan(&c.ID, &c.Account, &c.Priority, &c.Published, &c.Reconcile); err != nil {
			return nil, err
		}
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return sqlstore.FirstCandidates(all, opts.Limit), nil
}

// leaseClaimed leases the chosen jobs and returns them, in one statement. A
// job left sending by an expired lease has an unknown outcome: it is
// reconciled before any resend (also if given back unattempted).
func leaseClaimed(ctx context.Context, q sqlstore.Querier, opts herald.ClaimOptions, chosen []sqlstore.Candidate, now, until int64) ([]herald.Job, error) {
	ids := make([]int64, len(chosen))
	var stuck []int64
	for i, c := range chosen {
		ids[i] = c.ID
		if c.Reconcile {
			stuck = append(stuck, c.ID)
		}
	}
	if err := expireAttempts(ctx, q, stuck, now); err != nil {
		return nil, err
	}
	return sqlstore.QueryJobs(ctx, q, `UPDATE jobs j SET claimed_by = $1, lease_until = $2, updated_at = $3,
		error_kind = CASE WHEN j.id = ANY($5) THEN $6 ELSE j.error_kind END,
		last_error = CASE WHEN j.id = ANY($5) THEN $7 ELSE j.last_error END
		WHERE j.id = ANY($4) RETURNING `+sqlstore.JobCols,
		opts.Owner, until, now, ids, stuck, string(herald.ErrUnknownOutcome), sqlstore.LeaseExpired)
}

// expireAttempts closes the attempts of jobs found in sending with an
// expired lease: their outcome is unknown.
func expireAttempts(ctx context.Context, q sqlstore.Querier, jobIDs []int64, now int64) error {
	if len(jobIDs) == 0 {
		return nil
	}
	_, err := q.Exec(ctx, `UPDATE attempts SET finished_at = $1, outcome = $2, error = $3
		WHERE job_id = ANY($4) AND finished_at IS NULL`, now, string(herald.ErrUnknownOutcome), sqlstore.LeaseExpired, jobIDs)
	return err
}

// StartAttempt marks a job claimed by owner sending, records the attempt and
// extends the lease to now+lease.
func (db *DB) StartAttempt(ctx context.Context, jobID int64, owner string, now time.Time, lease time.Duration) error {
	if err := db.Dialect().CheckOwner("start attempt", owner); err != nil {
		return err
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
		now.UnixMilli(), now.Add(sqlstore.DefaultLease(lease)).UnixMilli(), jobID, owner,
		string(herald.ErrUnknownOutcome), sqlstore.LeaseExpired).Scan(&started)
	if err == nil && started == 0 {
		err = sqlstore.NotFoundOr(ctx, pq(db.pool), "jobs", jobID, herald.ErrLeaseLost)
	}
	return wrap(fmt.Sprintf("start attempt of job %d", jobID), err)
}

// FinishJob records an attempt's outcome (and its charge) and releases
// owner's lease; see herald.Store. An attempt given back unattempted is not
// counted, and a job that still needs reconciling keeps needing it until an
// attempt finishes. It is one statement in one round trip, committed without
// waiting for the disk (see asyncCommit).
func (db *DB) FinishJob(ctx context.Context, jobID int64, owner string, o herald.Outcome, now time.Time) error {
	if err := db.Dialect().CheckOutcome(jobID, owner, o); err != nil {
		return err
	}
	r := sqlstore.RowOf(o, now)
	c, charge := chargeRow(o.Charge, now)
	var finished int
	err := db.asyncRow(ctx, []any{&finished}, finishJob,
		jobID, owner, now.UnixMilli(), o.Attempted, o.Attempted || o.State.Terminal(),
		string(o.State), string(o.ErrorKind), o.Error, r.Attempt, r.Next, r.Skip,
		o.SentText, o.RemoteID, o.Permalink, r.SentAt, string(herald.ErrUnknownOutcome),
		charge, c.Account, c.Kind, c.RemoteID, c.day, int64(c.Amount), c.at)
	if err == nil && finished == 0 {
		err = sqlstore.NotFoundOr(ctx, pq(db.pool), "jobs", jobID, herald.ErrLeaseLost)
	}
	return wrap(fmt.Sprintf("finish job %d", jobID), err)
}

// finishJob is FinishJob's statement. The job's row is locked and checked
// to be owner's; the attempt StartAttempt opened is closed, or dropped when
// the job is given back before any call ($4 attempted false), and the
// attempt count follows; an outcome that replaces ($5: attempted or final)
// sets the error, a give-back keeps an unknown outcome ($16) standing; the
// charge ($17) is added only if the job was finished.
const finishJob = `WITH cur AS (
		SELECT j.id, j.attempts, j.error_kind, j.last_error,
			(SELECT max(n) FROM attempts WHERE job_id = j.id AND finished_at IS NULL) AS open
		FROM jobs j WHERE j.id = $1 AND j.claimed_by = $2 AND j.state IN ('pending', 'sending') FOR UPDATE OF j),
	closed AS (
		UPDATE attempts a SET finished_at = $3, outcome = $9, error = $8
		FROM cur WHERE $4 AND a.job_id = cur.id AND a.n = cur.open),
	dropped AS (
		DELETE FROM attempts a USING cur WHERE NOT $4 AND a.job_id = cur.id AND a.n = cur.open),
	done AS (
		UPDATE jobs j SET state = $6,
			attempts = CASE WHEN cur.open IS NOT NULL AND NOT $4 THEN greatest(cur.attempts - 1, 0) ELSE cur.attempts END,
			error_kind = CASE WHEN $5 THEN $7 WHEN $7 <> '' AND cur.error_kind <> $16 THEN $7 ELSE cur.error_kind END,
			last_error = CASE WHEN $5 OR $8 <> '' THEN $8 ELSE cur.last_error END,
			skip_reason = $11,
			next_attempt_at = CASE WHEN $6 = 'pending' THEN $10 ELSE j.next_attempt_at END,
			sent_text = CASE WHEN $6 = 'sent' THEN $12 ELSE j.sent_text END,
			remote_id = CASE WHEN $6 = 'sent' THEN $13 ELSE j.remote_id END,
			permalink = CASE WHEN $6 = 'sent' THEN $14 ELSE j.permalink END,
			sent_at = CASE WHEN $6 = 'sent' THEN $15 ELSE j.sent_at END,
			claimed_by = '', lease_until = NULL, updated_at = $3
		FROM cur WHERE j.id = cur.id RETURNING j.id),
	charged AS (
		INSERT INTO charges (account_id, kind, remote_id, day, amount, at)
		SELECT $18, $19, $20, $21, $22, $23 FROM done WHERE $17
		ON CONFLICT (account_id, remote_id, day) WHERE kind = 'read' AND remote_id <> '' DO NOTHING)
	SELECT count(*) FROM done`

// charge is a ledger row: the charge with its time (now when it has none)
// in milliseconds and its UTC day.
type charge struct {
	herald.Charge
	day, at int64
}

// chargeRow is c as a row; ok is false for a nil c.
func chargeRow(c *herald.Charge, now time.Time) (r charge, ok bool) {
	if c == nil {
		return charge{}, false
	}
	at := c.At
	if at.IsZero() {
		at = now
	}
	return charge{Charge: *c, day: sqlstore.FloorDiv(at.UnixMilli(), sqlstore.DayMS), at: at.UnixMilli()}, true
}

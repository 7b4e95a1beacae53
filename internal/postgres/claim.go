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
	err := db.write(ctx, false, func(tx pgx.Tx) error {
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
		if _, err := tx.Exec(ctx, `UPDATE jobs SET claimed_by = $1, lease_until = $2, updated_at = $3 WHERE id = ANY($4)`,
			opts.Owner, until, now, ids); err != nil {
			return err
		}
		if err := expireAttempts(ctx, tx, stuck, now); err != nil {
			return err
		}
		jobs, err := queryJobs(ctx, tx, `SELECT `+jobCols+` FROM jobs j WHERE j.id = ANY($1)`, ids)
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
	ready, err := readyAccounts(ctx, tx, spaced, now, ` ORDER BY id FOR NO KEY UPDATE`)
	if err != nil {
		return nil, err
	}
	others, err := readyAccounts(ctx, tx, free, now, ``)
	if err != nil {
		return nil, err
	}
	ready = append(ready, others...)
	if len(ready) == 0 {
		return nil, nil
	}
	ks := make([]int32, len(ready))
	for i, acct := range ready {
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
		) c`, ready, ks, now)
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

// readyAccounts returns which of names may send at now: not paused, hold passed.
func readyAccounts(ctx context.Context, tx pgx.Tx, names []string, now int64, suffix string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT id FROM accounts WHERE id = ANY($1) AND NOT paused
		AND (hold_until IS NULL OR hold_until <= $2)`+suffix, names, now)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

const leaseExpired = "the lease expired before the outcome was recorded"

// expireAttempts records that the attempts of jobs found in sending with an
// expired lease have an unknown outcome, so each is reconciled before any
// resend (also if it is given back unattempted).
func expireAttempts(ctx context.Context, tx pgx.Tx, jobIDs []int64, now int64) error {
	if len(jobIDs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE attempts SET finished_at = $1, outcome = $2, error = $3
		WHERE job_id = ANY($4) AND finished_at IS NULL`, now, string(herald.ErrUnknownOutcome), leaseExpired, jobIDs); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE jobs SET error_kind = $1, last_error = $2 WHERE id = ANY($3)`,
		string(herald.ErrUnknownOutcome), leaseExpired, jobIDs)
	return err
}

// StartAttempt marks a job claimed by owner sending, records the attempt and
// extends the lease to now+lease.
func (db *DB) StartAttempt(ctx context.Context, jobID int64, owner string, now time.Time, lease time.Duration) error {
	if owner == "" {
		return errors.New("postgres: start attempt: no owner")
	}
	err := db.write(ctx, false, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE jobs SET state = 'sending', attempts = attempts + 1,
			attempt_started_at = $1, lease_until = $2, updated_at = $1
			WHERE id = $3 AND claimed_by = $4 AND state IN ('pending', 'sending')`,
			now.UnixMilli(), now.Add(defaultLease(lease)).UnixMilli(), jobID, owner)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFoundOr(ctx, tx, "jobs", jobID, herald.ErrLeaseLost)
		}
		// The job's row is locked now: no one else numbers its attempts.
		_, err = tx.Exec(ctx, `WITH closed AS (UPDATE attempts SET finished_at = $1, outcome = $2, error = $3
				WHERE job_id = $4 AND finished_at IS NULL)
			INSERT INTO attempts (job_id, n, owner, started_at)
			VALUES ($4, (SELECT coalesce(max(n), 0) + 1 FROM attempts WHERE job_id = $4), $5, $1)`,
			now.UnixMilli(), string(herald.ErrUnknownOutcome), leaseExpired, jobID, owner)
		return err
	})
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
	err := db.write(ctx, false, func(tx pgx.Tx) error {
		var attempts int
		var kind herald.ErrorKind
		var lastErr string
		err := tx.QueryRow(ctx, `SELECT attempts, error_kind, last_error FROM jobs
			WHERE id = $1 AND claimed_by = $2 AND state IN ('pending', 'sending') FOR UPDATE`, jobID, owner).
			Scan(&attempts, &kind, &lastErr)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFoundOr(ctx, tx, "jobs", jobID, herald.ErrLeaseLost)
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
		return finishRow(ctx, tx, jobID, attempts, kind, lastErr, o, now)
	})
	return wrap(fmt.Sprintf("finish job %d", jobID), err)
}

// closeAttempt closes the attempt StartAttempt opened, or drops it when the
// job was given back before the network was called, and returns the job's
// attempt count.
func closeAttempt(ctx context.Context, tx pgx.Tx, jobID int64, attempts int, o herald.Outcome, now time.Time) (int, error) {
	var open int
	err := tx.QueryRow(ctx, `SELECT n FROM attempts WHERE job_id = $1 AND finished_at IS NULL
		ORDER BY n DESC LIMIT 1`, jobID).Scan(&open)
	if errors.Is(err, pgx.ErrNoRows) {
		return attempts, nil
	}
	if err != nil {
		return 0, err
	}
	if !o.Attempted {
		_, err := tx.Exec(ctx, `DELETE FROM attempts WHERE job_id = $1 AND n = $2`, jobID, open)
		return max(attempts-1, 0), err
	}
	outcome := string(o.State)
	if o.State == herald.JobPending && o.ErrorKind != "" {
		outcome = string(o.ErrorKind)
	}
	_, err = tx.Exec(ctx, `UPDATE attempts SET finished_at = $1, outcome = $2, error = $3 WHERE job_id = $4 AND n = $5`,
		now.UnixMilli(), outcome, o.Error, jobID, open)
	return attempts, err
}

func finishRow(ctx context.Context, tx pgx.Tx, jobID int64, attempts int,
	kind herald.ErrorKind, lastErr string, o herald.Outcome, now time.Time) error {
	next := o.NextAttemptAt
	if next.IsZero() {
		next = now
	}
	var skip string
	if o.State == herald.JobSkipped {
		skip = o.SkipReason
	}
	if o.State != herald.JobSent {
		_, err := tx.Exec(ctx, `UPDATE jobs SET state = $1, attempts = $2, error_kind = $3, last_error = $4,
			skip_reason = $5, next_attempt_at = CASE WHEN $1 = 'pending' THEN $6 ELSE next_attempt_at END,
			claimed_by = '', lease_until = NULL, updated_at = $7 WHERE id = $8`,
			string(o.State), attempts, string(kind), lastErr, skip, next.UnixMilli(), now.UnixMilli(), jobID)
		return err
	}
	sentAt := o.SentAt
	if sentAt.IsZero() {
		sentAt = now
	}
	_, err := tx.Exec(ctx, `UPDATE jobs SET state = 'sent', attempts = $1, error_kind = $2, last_error = $3,
		skip_reason = '', sent_text = $4, remote_id = $5, permalink = $6, sent_at = $7, claimed_by = '',
		lease_until = NULL, updated_at = $8 WHERE id = $9`,
		attempts, string(kind), lastErr, o.SentText, o.RemoteID, o.Permalink, sentAt.UnixMilli(),
		now.UnixMilli(), jobID)
	return err
}

package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Candidate is a job a claim may take.
type Candidate struct {
	ID        int64
	Account   string
	Priority  int
	Published int64
	Reconcile bool // left sending by an expired lease
}

// CompareCandidates is the dispatch order: priority, then oldest
// publication, then ID.
func CompareCandidates(a, b Candidate) int {
	if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Published, b.Published); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// SortCandidates sorts cs in dispatch order.
func SortCandidates(cs []Candidate) { slices.SortFunc(cs, CompareCandidates) }

// LeaseExpired is the error recorded on an attempt whose lease ran out
// before its outcome was: the outcome is unknown.
const LeaseExpired = "the lease expired before the outcome was recorded"

// InClaimOrder returns the claimed jobs in the order of chosen, each marked
// for reconciling when its outcome is unknown.
func InClaimOrder(jobs []herald.Job, chosen []Candidate) []herald.Job {
	byID := make(map[int64]herald.Job, len(jobs))
	for _, j := range jobs {
		j.Reconcile = j.ErrorKind == herald.ErrUnknownOutcome
		byID[j.ID] = j
	}
	out := make([]herald.Job, 0, len(chosen))
	for _, c := range chosen {
		out = append(out, byID[c.ID])
	}
	return out
}

// CheckOutcome refuses an outcome FinishJob cannot record.
func (d *Dialect) CheckOutcome(jobID int64, owner string, o herald.Outcome) error {
	switch o.State {
	case herald.JobSent, herald.JobSkipped, herald.JobFailed, herald.JobPending:
	default:
		return fmt.Errorf("%s: finish job %d: outcome state %q", d.Name, jobID, o.State)
	}
	return d.CheckOwner("finish job", owner)
}

// ClaimWindow checks opts and returns its time and the end of the leases it
// gives, in milliseconds; ok is false when there is nothing to claim.
func (d *Dialect) ClaimWindow(opts herald.ClaimOptions) (now, until int64, ok bool, err error) {
	if opts.Owner == "" {
		return 0, 0, false, fmt.Errorf("%s: claim jobs: no owner", d.Name)
	}
	if len(opts.Accounts) == 0 {
		return 0, 0, false, nil
	}
	return opts.Now.UnixMilli(), opts.Now.Add(DefaultLease(opts.Lease)).UnixMilli(), true, nil
}

// ClaimSteps are how a dialect claims, inside the claim's transaction:
// Pick chooses the candidates (locking them where instances share the
// rows), Lease leases them to opts.Owner until until and returns their jobs,
// marking those left sending by an expired lease as of unknown outcome.
type ClaimSteps struct {
	Pick  func(ctx context.Context, q Querier, opts herald.ClaimOptions) ([]Candidate, error)
	Lease func(ctx context.Context, q Querier, opts herald.ClaimOptions, chosen []Candidate, now, until int64) ([]herald.Job, error)
}

// ClaimJobs leases due jobs to opts.Owner in one transaction, through the
// dialect's ClaimSteps; see herald.Store and herald.ClaimOptions. A zero
// Lease means 30 s. The transaction may commit without waiting for the disk
// (AsyncCommit): a claim lost in a crash is simply made again.
func (s *Store) ClaimJobs(ctx context.Context, opts herald.ClaimOptions) ([]herald.Job, error) {
	steps := s.d.Claim
	now, until, ok, err := s.d.ClaimWindow(opts)
	if !ok {
		return nil, err
	}
	var out []herald.Job
	err = s.b.Write(ctx, AsyncCommit, func(q Querier) error {
		out = nil
		chosen, err := steps.Pick(ctx, q, opts)
		if err != nil || len(chosen) == 0 {
			return err
		}
		if err := s.MarkClaims(ctx, q, opts, chosen); err != nil {
			return err
		}
		jobs, err := steps.Lease(ctx, q, opts, chosen, now, until)
		if err != nil {
			return err
		}
		out = InClaimOrder(jobs, chosen)
		return s.AttachArticles(ctx, q, out)
	})
	if err != nil {
		return nil, s.wrap("claim jobs", err)
	}
	return out, nil
}

// Strings reads the one text column of rows, as q.Query returns them with
// err: the IDs of a claim's accounts.
func Strings(rows Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	return Collect(rows, func(r Row) (v string, err error) { return v, r.Scan(&v) })
}

// FirstCandidates returns the first limit of cs in dispatch order (all for
// limit 0).
func FirstCandidates(cs []Candidate, limit int) []Candidate {
	SortCandidates(cs)
	if limit > 0 && len(cs) > limit {
		cs = cs[:limit]
	}
	return cs
}

// MarkClaims records the claim on each account given jobs in chosen: its
// last job in claim order (the one its instance finishes last) becomes the
// account's claim_job. While that job is claimed under a live lease no
// other instance is given jobs of the account (nor any instance, for a
// serial account: a serial account has one candidate at most). An account
// with spacing is also held until the spacing has passed.
func (s *Store) MarkClaims(ctx context.Context, q Querier, opts herald.ClaimOptions, chosen []Candidate) error {
	last := make(map[string]int64)
	var order []string
	for _, c := range chosen {
		if _, ok := last[c.Account]; !ok {
			order = append(order, c.Account)
		}
		last[c.Account] = c.ID
	}
	for _, acct := range order {
		var err error
		if sp := opts.Accounts[acct]; sp > 0 {
			_, err = q.Exec(ctx, `UPDATE accounts SET hold_until = `+s.d.Greatest+`(coalesce(hold_until, 0), ?1),
				hold_reason = 'spacing', claim_job = ?2 WHERE id = ?3`, opts.Now.Add(sp).UnixMilli(), last[acct], acct)
		} else {
			_, err = q.Exec(ctx, `UPDATE accounts SET claim_job = ? WHERE id = ?`, last[acct], acct)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// OutcomeRow is what FinishJob writes for o at now: what the attempt's row
// records (the state, or for a retry the kind), when a retry is due, the
// skip reason and the sending time, in milliseconds.
type OutcomeRow struct {
	Attempt string
	Next    int64
	Skip    string
	SentAt  int64
}

// RowOf returns o's OutcomeRow at now.
func RowOf(o herald.Outcome, now time.Time) OutcomeRow {
	r := OutcomeRow{Attempt: string(o.State), Next: now.UnixMilli(), SentAt: now.UnixMilli()}
	if o.State == herald.JobPending && o.ErrorKind != "" {
		r.Attempt = string(o.ErrorKind)
	}
	if !o.NextAttemptAt.IsZero() {
		r.Next = o.NextAttemptAt.UnixMilli()
	}
	if o.State == herald.JobSkipped {
		r.Skip = o.SkipReason
	}
	if !o.SentAt.IsZero() {
		r.SentAt = o.SentAt.UnixMilli()
	}
	return r
}

// CheckOwner refuses work asked for by nobody.
func (d *Dialect) CheckOwner(op, owner string) error {
	if owner == "" {
		return fmt.Errorf("%s: %s: no owner", d.Name, op)
	}
	return nil
}

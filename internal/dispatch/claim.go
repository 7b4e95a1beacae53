package dispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// dispatch claims the jobs that may be sent at now and starts one batch per
// account (sent in order, one after another). It returns how many jobs it
// claimed.
func (d *Dispatcher) dispatch(ctx context.Context, now time.Time) (int, error) {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return 0, nil
	}
	var free []*Account
	for _, id := range d.order {
		if !d.busy[id] {
			free = append(free, d.accts[id])
		}
	}
	d.mu.Unlock()

	// Accounts grouped by how many jobs each may take now: one claim per group.
	type group struct {
		accounts map[string]time.Duration
		limits   []herald.ClaimLimit
	}
	groups := map[int]*group{}
	for _, a := range free {
		n, limits, err := d.allowance(ctx, a, now)
		if err != nil {
			return 0, err
		}
		if n <= 0 {
			continue
		}
		if groups[n] == nil {
			groups[n] = &group{accounts: map[string]time.Duration{}}
		}
		groups[n].accounts[a.ID] = a.MinInterval
		groups[n].limits = append(groups[n].limits, limits...)
	}

	total := 0
	for per, g := range groups {
		jobs, err := d.store.ClaimJobs(ctx, herald.ClaimOptions{
			Owner:      d.opts.Owner,
			Now:        now,
			Lease:      d.opts.Lease,
			Accounts:   g.accounts,
			Limits:     g.limits,
			PerAccount: per,
			Limit:      d.opts.Concurrency * d.opts.PerAccount,
		})
		if err != nil {
			return total, fmt.Errorf("dispatch: claim: %w", err)
		}
		total += len(jobs)
		d.start(ctx, now, jobs)
	}
	return total, nil
}

// start runs claimed jobs: one goroutine per account, in the order the store
// gave them (priority, then publication).
func (d *Dispatcher) start(ctx context.Context, now time.Time, jobs []herald.Job) {
	byAccount := map[string][]herald.Job{}
	var order []string
	for _, j := range jobs {
		if byAccount[j.Account] == nil {
			order = append(order, j.Account)
		}
		byAccount[j.Account] = append(byAccount[j.Account], j)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range order {
		a := d.accts[id]
		batch := byAccount[id]
		if a == nil {
			// Not ours (the store served an account we did not ask for):
			// give the jobs back untouched.
			d.wg.Go(func() { d.release(ctx, batch) })
			continue
		}
		if a.MinInterval > 0 {
			d.holds[id] = now.Add(a.MinInterval)
		}
		d.busy[id] = true
		d.wg.Go(func() { d.runBatch(ctx, a, batch) })
	}
}

// runBatch sends one account's claimed jobs in order. Once the account is
// paused or held by an answer, or the dispatcher stops, the rest go back.
func (d *Dispatcher) runBatch(ctx context.Context, a *Account, jobs []herald.Job) {
	defer func() {
		d.mu.Lock()
		delete(d.busy, a.ID)
		d.mu.Unlock()
		d.Wake()
	}()
	for i, j := range jobs {
		if d.stopping() {
			d.release(ctx, jobs[i:])
			return
		}
		cont := d.process(ctx, a, j)
		if !cont {
			d.release(ctx, jobs[i+1:])
			return
		}
	}
}

// acquire takes one of the Concurrency tokens for a call to the network;
// false when the dispatcher stops first. Only the call holds it: the store's
// work before and after runs outside, so that Concurrency calls can be in
// flight while other jobs are being recorded.
func (d *Dispatcher) acquire() bool {
	select {
	case d.sem <- struct{}{}:
		return !d.stopping()
	case <-d.stop:
		return false
	}
}

// releaseCall gives back the token acquire took.
func (d *Dispatcher) releaseCall() { <-d.sem }

func (d *Dispatcher) stopping() bool {
	select {
	case <-d.stop:
		return true
	default:
		return false
	}
}

// release gives claimed jobs back without any call to the network.
func (d *Dispatcher) release(ctx context.Context, jobs []herald.Job) {
	ctx, cancel := d.storeCtx(ctx)
	defer cancel()
	now := d.opts.Now()
	for _, j := range jobs {
		o := herald.Outcome{State: herald.JobPending, NextAttemptAt: j.NextAttemptAt,
			Error: j.LastError, ErrorKind: j.ErrorKind}
		if j.Reconcile {
			// Its previous attempt's outcome is still unknown: keep it marked
			// so that the next claim looks for the post before sending.
			o.ErrorKind = herald.ErrUnknownOutcome
		}
		if err := d.store.FinishJob(ctx, j.ID, d.opts.Owner, o, now); err != nil {
			d.log.Warn("dispatch: give back job", "job_id", j.ID, "account", j.Account, "error", err)
		}
	}
}

// storeCtx is a context for recording results: it outlives a cancelled ctx
// (a send that happened must be recorded) but not by long.
func (d *Dispatcher) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d.opts.Timeout)
}

// allowance is how many jobs account a may be claimed at now, and the
// limits the claim checks again (see herald.Eligibility). Whether it is
// paused, held or has a job in flight the store checks as it claims.
func (d *Dispatcher) allowance(ctx context.Context, a *Account, now time.Time) (int, []herald.ClaimLimit, error) {
	r := a.rules(d.opts.PerAccount)
	var s herald.AccountState
	if q, until := r.Quiet(now); q {
		d.noteHold(a.ID, until)
		return 0, nil, nil
	}
	var err error
	if a.DailyCap > 0 {
		if s.SentToday, err = d.store.SentCount(ctx, a.ID, herald.DayStart(now, a.Location)); err != nil {
			return 0, nil, fmt.Errorf("dispatch: sent count %s: %w", a.ID, err)
		}
	}
	if r.MonthlyBudget > 0 && r.PostCost > 0 {
		ms := herald.MonthStart(now)
		if s.SpentMonth, err = d.store.Spend(ctx, a.ID, ms); err != nil {
			return 0, nil, fmt.Errorf("dispatch: spend %s: %w", a.ID, err)
		}
		if s.SentMonth, err = d.store.SentCount(ctx, a.ID, ms); err != nil {
			return 0, nil, fmt.Errorf("dispatch: sent count %s: %w", a.ID, err)
		}
	}
	al := herald.Eligibility(a.ID, r, s, now)
	if r.MonthlyBudget > 0 && r.PostCost > 0 {
		d.noteBudget(a, r.MonthlyBudget-s.SpentMonth < r.PostCost, s.SpentMonth, now)
	}
	return al.N, al.Limits, nil
}

// rules are a's sending rules, with perAccount jobs at once.
func (a *Account) rules(perAccount int) herald.Rules {
	return herald.Rules{PerAccount: perAccount, MinInterval: a.MinInterval, DailyCap: a.DailyCap,
		QuietStart: a.QuietStart, QuietEnd: a.QuietEnd, Location: a.Location,
		MonthlyBudget: a.Cost.MonthlyBudget, PostCost: postCost(a)}
}

// noteHold remembers when a hold of account id ends, so Run wakes then.
func (d *Dispatcher) noteHold(id string, until time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if until.After(d.holds[id]) {
		d.holds[id] = until
	}
}

package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/herald"
)

// process takes one claimed job to its next state. It returns false when the
// rest of the account's batch must go back (the account was paused or held).
func (d *Dispatcher) process(ctx context.Context, a *Account, j herald.Job) bool {
	log := d.log.With("account", a.ID, "job_id", j.ID, "article_id", j.ArticleID)
	now := d.opts.Now()
	art, err := d.article(ctx, j)
	if err != nil {
		log.Error("dispatch: load article", "error", err)
		d.retryLater(ctx, log, j)
		return true
	}
	if skip, err := d.overBudgetLastMonth(ctx, a, j, now); err != nil {
		log.Error("dispatch: read spend", "error", err)
		d.retryLater(ctx, log, j)
		return true
	} else if skip {
		log.Warn("job skipped: the monthly budget ran out before it could be sent", "scheduled_at", j.ScheduledAt)
		d.finish(ctx, log, a, j, herald.Outcome{State: herald.JobSkipped, SkipReason: herald.SkipBudget,
			Error: "monthly budget reached", ErrorKind: herald.ErrBudget})
		return true
	}

	msg, err := a.Compose(art, j)
	if err != nil {
		// Too long is a reason to skip; anything else (a template that fails
		// on this article) is a failure an operator can fix and retry.
		o := herald.Outcome{State: herald.JobFailed, Error: errMessage(err), ErrorKind: herald.ErrPermanent}
		if errors.Is(err, compose.ErrTooLong) {
			o = herald.Outcome{State: herald.JobSkipped, SkipReason: herald.SkipTooLong, Error: errMessage(err)}
		}
		log.Warn("job not composed", "state", o.State, "error", err)
		d.finish(ctx, log, a, j, o)
		return true
	}
	msg.ReplyTo = j.ReplyTo // a post of a thread answers the one before
	link := msg.Link
	if link == "" {
		link = art.URL
	}

	if j.Reconcile {
		done, cont := d.reconcile(ctx, log, a, j, msg, link)
		if done {
			return cont
		}
	}

	if d.opts.DryRun {
		log.Info("dry run: not sent", "text", msg.Text, "link", msg.Link)
		d.finish(ctx, log, a, j, herald.Outcome{State: herald.JobSkipped, SkipReason: herald.SkipDryRun, SentText: msg.Text})
		return true
	}
	return d.send(ctx, log, a, j, msg)
}

// retryLater gives a job back unattempted after a failure of our own (the
// store), due after a backoff so that a lasting failure is not a hot loop.
func (d *Dispatcher) retryLater(ctx context.Context, log *slog.Logger, j herald.Job) {
	j.NextAttemptAt = d.opts.Now().Add(d.backoff(1))
	d.release(ctx, []herald.Job{j})
}

// article returns the job's article, loading it when the claim did not.
func (d *Dispatcher) article(ctx context.Context, j herald.Job) (herald.Article, error) {
	if j.Article != nil {
		return *j.Article, nil
	}
	full, err := d.store.GetJob(ctx, j.ID)
	if err != nil {
		return herald.Article{}, err
	}
	if full.Article == nil {
		return d.store.GetArticle(ctx, j.ArticleID)
	}
	return *full.Article, nil
}

// reconcile looks for the post of a job whose last attempt has an unknown
// outcome. done is true when the job was handled (found and recorded sent,
// or given back because the search failed); false means the post is not
// there and the job may be sent.
func (d *Dispatcher) reconcile(ctx context.Context, log *slog.Logger, a *Account, j herald.Job, msg herald.Message, link string) (done, cont bool) {
	since := j.AttemptStartedAt
	if since.IsZero() {
		since = j.ScheduledAt
	}
	since = since.Add(-d.opts.ReconcileWindow)
	if !d.acquire() {
		d.release(ctx, []herald.Job{j}) // still marked to be reconciled
		return true, false
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.Timeout)
	start := time.Now()
	r, found, reads, err := a.Publisher.FindPost(cctx, link, since)
	cancel()
	d.releaseCall()
	d.observe(a, "find_post", time.Since(start))
	now := d.opts.Now()
	if reads > 0 && a.Cost.Read > 0 {
		d.charge(ctx, log, herald.Charge{Account: a.ID, Kind: herald.CostRead,
			Amount: herald.Money(reads) * a.Cost.Read, At: now})
	}
	if err != nil {
		kind := herald.KindOf(err)
		log.Warn("reconcile failed: job kept until its post can be looked for", "error", err)
		o := herald.Outcome{State: herald.JobPending, ErrorKind: herald.ErrUnknownOutcome,
			Error: "reconcile: " + err.Error(), NextAttemptAt: now.Add(d.backoff(j.Attempts))}
		cont = d.answer(ctx, log, a, err, now)
		if kind != herald.ErrAuth && kind != herald.ErrRateLimited && now.Sub(j.ScheduledAt) >= d.opts.RetryFor {
			// Never resend blindly; give up visibly so an operator can check.
			o = herald.Outcome{State: herald.JobFailed, ErrorKind: herald.ErrUnknownOutcome,
				Error: "outcome unknown and the post could not be looked for: " + err.Error()}
		}
		d.finish(ctx, log, a, j, o)
		return true, cont
	}
	if !found {
		if j.Attempts >= d.opts.MaxAttempts || now.Sub(j.ScheduledAt) >= d.opts.RetryFor {
			// Known not to be posted, and out of attempts: a visible failure.
			log.Error("job failed after retries: its post is not on the network", "attempts", j.Attempts)
			d.finish(ctx, log, a, j, herald.Outcome{State: herald.JobFailed, ErrorKind: herald.ErrUnknownOutcome,
				Error: "gave up after " + strconv.Itoa(j.Attempts) + " attempts: " + j.LastError})
			return true, true
		}
		log.Info("reconcile: post not found, sending", "since", since)
		return false, true
	}
	log.Info("reconcile: post found, recorded as sent", "remote_id", r.RemoteID)
	// The attempt that made it was billed like any post.
	d.recordSent(ctx, log, a, j, msg, r, now)
	return true, true
}

// recordSent records j as sent: the post r made of msg, billed as a post.
// A receipt without a time is dated now.
func (d *Dispatcher) recordSent(ctx context.Context, log *slog.Logger, a *Account, j herald.Job, msg herald.Message, r herald.Receipt, now time.Time) {
	at := r.At
	if at.IsZero() {
		at = now
	}
	d.finish(ctx, log, a, j, herald.Outcome{State: herald.JobSent, RemoteID: r.RemoteID,
		Permalink: r.Permalink, SentText: msg.Text, SentAt: at, Attempted: true,
		Charge: postCharge(a, msg, r.RemoteID, now)})
}

// postCharge is the ledger entry of posting msg from a (nil when free).
func postCharge(a *Account, msg herald.Message, remoteID string, now time.Time) *herald.Charge {
	kind, amount := postKind(a, msg)
	if amount <= 0 {
		return nil
	}
	return &herald.Charge{Account: a.ID, Kind: kind, RemoteID: remoteID, Amount: amount, At: now}
}

// postKind is the ledger kind and price of posting msg from a.
func postKind(a *Account, msg herald.Message) (string, herald.Money) {
	if msg.Link != "" || strings.Contains(msg.Text, "http://") || strings.Contains(msg.Text, "https://") {
		return herald.CostPostWithLink, a.Cost.PostWithLink
	}
	return herald.CostPost, a.Cost.Post
}

// backoff is the delay before retry number attempts+1: exponential from
// BackoffBase, capped at BackoffMax, with jitter (between half and all of it)
// so that jobs failed together do not retry together.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	delay := d.opts.BackoffBase
	for i := 1; i < attempts && delay < d.opts.BackoffMax; i++ {
		delay *= 2
	}
	delay = min(delay, d.opts.BackoffMax)
	return delay/2 + rand.N(delay/2+1)
}

// send makes the attempt: marked sending first, then the call.
func (d *Dispatcher) send(ctx context.Context, log *slog.Logger, a *Account, j herald.Job, msg herald.Message) bool {
	now := d.opts.Now()
	if !j.LeaseUntil.IsZero() && !now.Before(j.LeaseUntil) {
		// The batch's claim ran out before this job's turn: another
		// instance may have been given the account's jobs since. The rest
		// go back rather than be sent beside its.
		log.Info("claim expired before the job's turn; given back", "lease_until", j.LeaseUntil)
		d.release(ctx, []herald.Job{j})
		return false
	}
	sctx, cancel := d.storeCtx(ctx)
	err := d.store.StartAttempt(sctx, j.ID, d.opts.Owner, now, d.opts.Lease)
	cancel()
	if err != nil {
		// Without the sending mark the call must not be made: a crash during
		// it would leave a post nobody knows about.
		if errors.Is(err, herald.ErrLeaseLost) {
			// The account is another instance's now: the rest go back.
			log.Info("job taken over by another instance; not sent")
			return false
		}
		log.Error("dispatch: start attempt", "error", err)
		d.retryLater(ctx, log, j)
		return true
	}
	if !d.acquire() {
		// Stopping before the call: given back unattempted, the attempt
		// just opened is dropped.
		d.release(ctx, []herald.Job{j})
		return false
	}
	j.Attempts++

	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.Timeout)
	start := time.Now()
	r, err := a.Publisher.Publish(cctx, msg)
	cancel()
	d.releaseCall()
	d.observe(a, "publish", time.Since(start))
	now = d.opts.Now()
	d.holdAfterCall(ctx, log, a, now)
	if err == nil {
		return d.sent(ctx, log, a, j, msg, r, now)
	}
	return d.failed(ctx, log, a, j, err, now)
}

// sent records a successful post, its cost, and any exhausted allowance. It
// returns false when the answer said an allowance is used up: the account is
// then held past its reset, and the rest of its batch goes back.
func (d *Dispatcher) sent(ctx context.Context, log *slog.Logger, a *Account, j herald.Job, msg herald.Message, r herald.Receipt, now time.Time) bool {
	// The hold goes first, so that no claim comes between the record of this
	// post and the hold that its answer asks for.
	cont := true
	for _, l := range r.Limits {
		if until := pastReset(l.Reset); l.Limit > 0 && l.Remaining <= 0 && until.After(now) {
			d.hold(ctx, log, a, until, "rate limit allowance used up")
			cont = false
		}
	}
	d.recordSent(ctx, log, a, j, msg, r, now)
	return cont
}

// resetMargin is how long after an announced reset an account waits: a reset
// is a whole second on the network's clock, and a call made in that very
// second may still count against the old window.
const resetMargin = time.Second

// pastReset is when a call may be made again after an allowance that resets
// at reset.
func pastReset(reset time.Time) time.Time { return reset.Add(resetMargin) }

// failed records a failed attempt as its error kind dictates. It returns
// false when the account may not send any more for now.
func (d *Dispatcher) failed(ctx context.Context, log *slog.Logger, a *Account, j herald.Job, err error, now time.Time) bool {
	kind := herald.KindOf(err)
	msg := errMessage(err)
	var he *herald.Error
	errors.As(err, &he)
	o := herald.Outcome{State: herald.JobPending, Error: msg, ErrorKind: kind, Attempted: true}
	cont := d.answer(ctx, log, a, err, now)
	switch kind {
	case herald.ErrUnknownOutcome:
		// The post may exist: the next claim looks for it before any resend.
		o.NextAttemptAt = now.Add(d.opts.ReconcileDelay)
		log.Warn("outcome unknown; will look for the post before sending again", "error", err)
	case herald.ErrDuplicate:
		o = herald.Outcome{State: herald.JobSkipped, SkipReason: herald.SkipDuplicate, Error: msg, ErrorKind: kind, Attempted: true}
		log.Warn("job skipped: the network says duplicate", "error", err)
	case herald.ErrPermanent:
		o.State = herald.JobFailed
		log.Error("job failed", "error", err)
	case herald.ErrRateLimited, herald.ErrAuth, herald.ErrBudget:
		// Not the job's fault: it waits for the account (hold or pause). The
		// network refused the call before acting on it, so it does not count
		// as an attempt: rate limits never use up a job's attempts.
		o.Attempted = false
		o.NextAttemptAt = now
		if he != nil && he.RetryAt.After(now) {
			o.NextAttemptAt = pastReset(he.RetryAt)
		}
	default: // retryable
		if j.Attempts >= d.opts.MaxAttempts || now.Sub(j.ScheduledAt) >= d.opts.RetryFor {
			o.State = herald.JobFailed
			log.Error("job failed after retries", "attempts", j.Attempts, "error", err)
		} else {
			o.NextAttemptAt = now.Add(d.backoff(j.Attempts))
			log.Warn("send failed; will retry", "attempts", j.Attempts, "retry_at", o.NextAttemptAt, "error", err)
		}
	}
	d.finish(ctx, log, a, j, o)
	return cont
}

// errMessage is what an operator is shown of err: the API's own words when
// it gave any.
func errMessage(err error) string {
	var he *herald.Error
	if errors.As(err, &he) && he.Message != "" {
		return he.Message
	}
	return err.Error()
}

// answer applies what an error says about the account (pause, hold). It
// returns false when the account may not send any more for now.
func (d *Dispatcher) answer(ctx context.Context, log *slog.Logger, a *Account, err error, now time.Time) bool {
	var he *herald.Error
	errors.As(err, &he)
	switch herald.KindOf(err) {
	case herald.ErrAuth:
		reason := errMessage(err)
		sctx, cancel := d.storeCtx(ctx)
		defer cancel()
		if perr := d.store.PauseAccount(sctx, a.ID, reason); perr != nil {
			log.Error("dispatch: pause account", "error", perr)
		}
		log.Error("account paused: its credentials were refused; fix them, then run `herald accounts resume "+a.ID+"`",
			"reason", reason)
		d.metric(func(m *Metrics) { m.gauge("herald_account_paused", 1, "account", a.ID) })
		return false
	case herald.ErrRateLimited, herald.ErrBudget:
		until := now.Add(d.opts.RateLimitWait)
		if he != nil && he.RetryAt.After(now) {
			until = pastReset(he.RetryAt)
		} else if herald.KindOf(err) == herald.ErrBudget {
			until = now.Add(time.Hour) // out of credits: an operator must top up
		}
		d.hold(ctx, log, a, until, string(herald.KindOf(err))+": "+err.Error())
		return false
	}
	return true
}

// hold keeps account a from sending before until, in the store (for every
// instance) and locally (to wake when it ends).
func (d *Dispatcher) hold(ctx context.Context, log *slog.Logger, a *Account, until time.Time, reason string) {
	sctx, cancel := d.storeCtx(ctx)
	defer cancel()
	if err := d.store.HoldAccount(sctx, a.ID, until, reason); err != nil {
		log.Error("dispatch: hold account", "error", err)
	}
	d.noteHold(a.ID, until)
	log.Warn("account held", "until", until, "reason", reason)
}

// finish records an outcome. A lost lease means another instance owns the
// job now: the result is dropped (that instance reconciles before sending).
func (d *Dispatcher) finish(ctx context.Context, log *slog.Logger, a *Account, j herald.Job, o herald.Outcome) {
	sctx, cancel := d.storeCtx(ctx)
	defer cancel()
	err := d.store.FinishJob(sctx, j.ID, d.opts.Owner, o, d.opts.Now())
	switch {
	case errors.Is(err, herald.ErrLeaseLost):
		log.Warn("lease lost before the outcome was recorded; another instance owns the job", "state", o.State)
		return
	case err != nil:
		// The job stays sending or claimed; when the lease expires it is
		// claimed again and, if it was sending, reconciled.
		log.Error("dispatch: record outcome", "state", o.State, "error", err)
		d.writeFailed(err)
		return
	}
	d.count(a, j, o)
	if o.State == herald.JobSent {
		log.Info("post sent", "remote_id", o.RemoteID, "permalink", o.Permalink)
	}
}

// charge adds a billable call to the ledger.
func (d *Dispatcher) charge(ctx context.Context, log *slog.Logger, c herald.Charge) {
	sctx, cancel := d.storeCtx(ctx)
	defer cancel()
	if _, err := d.store.RecordCharge(sctx, c); err != nil {
		log.Error("dispatch: record charge", "kind", c.Kind, "error", err)
		d.writeFailed(err)
	}
}

// writeFailed reports a failed store write to Options.WriteFailed.
func (d *Dispatcher) writeFailed(err error) {
	if d.opts.WriteFailed != nil {
		d.opts.WriteFailed("dispatch", err)
	}
}

// holdAfterCall holds a spaced account for MinInterval from the end of the
// call, before the outcome is recorded. The claim held the account from the
// moment it was taken, and no other instance claims for it while this job is
// claimed (herald.ClaimOptions), so counted from the answer — after the
// network received the post — two posts never arrive closer than
// MinInterval, whatever the time from claim to call and the call's transit.
func (d *Dispatcher) holdAfterCall(ctx context.Context, log *slog.Logger, a *Account, now time.Time) {
	if a.MinInterval <= 0 {
		return
	}
	// Up to the next millisecond: stores keep milliseconds, and a hold
	// rounded down would end before the interval has.
	until := now.Add(a.MinInterval + time.Millisecond - 1).Truncate(time.Millisecond)
	sctx, cancel := d.storeCtx(ctx)
	defer cancel()
	if err := d.store.HoldAccount(sctx, a.ID, until, "spacing"); err != nil {
		log.Warn("dispatch: hold account for spacing", "error", err)
		return
	}
	d.noteHold(a.ID, until)
}

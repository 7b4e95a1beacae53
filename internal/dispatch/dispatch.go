// Package dispatch is Herald's outbox worker: it claims due post jobs from the
// store, keeps each account's spacing, daily cap, quiet hours and budget,
// sends through the account's Publisher, and records every outcome, so that
// each job is sent at most once, is never lost, and followers are never
// flooded.
//
// Safety against duplicates rests on three rules: a job is marked sending
// (StartAttempt) before the network is called; a job whose outcome is unknown
// (a timeout, a dropped connection, a crash while sending) is reconciled —
// looked for among the account's recent posts — before it is sent again; and
// a call never outlives its lease (Options.Timeout < Options.Lease), so another
// instance cannot take over a job whose call is still in flight.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/lease"
)

// Account is one configured account as the dispatcher sees it.
type Account struct {
	ID        string
	Network   herald.Network
	Publisher herald.Publisher
	// Compose turns an article into this account's post for job j
	// (internal/compose). An error wrapping compose.ErrTooLong skips the job
	// as too long; any other error fails it. Nil composes "Title URL".
	Compose func(a herald.Article, j herald.Job) (herald.Message, error)
	// MinInterval is the least time between two posts (0: no spacing).
	MinInterval time.Duration
	// DailyCap is the most posts per local day (0: no cap).
	DailyCap int
	// QuietStart and QuietEnd are offsets from local midnight of a daily
	// window with no posts; it may span midnight. Both zero: none.
	QuietStart, QuietEnd time.Duration
	// Location is the account's time zone for quiet hours and the daily cap
	// (nil: UTC).
	Location *time.Location
	Cost     Cost
}

// Cost is what the network bills per call; MonthlyBudget 0 means no budget.
type Cost struct {
	PostWithLink  herald.Money
	Post          herald.Money
	Read          herald.Money
	MonthlyBudget herald.Money
}

// XPrices are X's pay-per-use prices at the time of writing.
var XPrices = Cost{PostWithLink: Dollars(0.20), Post: Dollars(0.015), Read: Dollars(0.005)}

// Dollars converts an amount in dollars (as configured) to Money.
func Dollars(d float64) herald.Money { return herald.Money(d*1e6 + 0.5) }

// Options tune the dispatcher. Zero values take the defaults in brackets.
type Options struct {
	Owner        string        // this instance's ID [hostname-pid]
	Lease        time.Duration // how long a claim is held [30s]
	Timeout      time.Duration // per API call; must be below Lease [15s]
	MaxAttempts  int           // attempts before a retryable failure is final [8]
	RetryFor     time.Duration // age after which a retryable failure is final [24h]
	Concurrency  int           // API calls in flight at once [8]
	PerAccount   int           // jobs claimed at once per account without spacing [8]
	ShutdownWait time.Duration // how long in-flight sends may finish at shutdown [10s]
	DryRun       bool          // compose and log, mark skipped: dry-run, never send
	BackoffBase  time.Duration // first retry delay [30s]
	BackoffMax   time.Duration // longest retry delay [30m]
	// ReconcileDelay is how long after an unknown outcome the post is looked
	// for, so that a request still being processed has landed [5s].
	ReconcileDelay time.Duration
	// ReconcileWindow is how far before an attempt's start the post is
	// looked for [1m].
	ReconcileWindow time.Duration
	MaxIdle         time.Duration // longest sleep between looks at the queue [1s]
	// RateLimitWait is how long an account is held after a rate-limit answer
	// that does not say until when [1m].
	RateLimitWait time.Duration
	// TokenWarning: warn when a token expires within this [7 days].
	TokenWarning time.Duration
	// TokenCheck: how often Run checks Facebook token expiry (negative: never) [12h].
	TokenCheck time.Duration
	// MetricsInterval: how often Run refreshes the jobs-by-state gauge [15s].
	MetricsInterval time.Duration
	Now             func() time.Time // [time.Now]
	Metrics         *Metrics         // optional
	// WriteFailed, when set, is told of each outcome or charge the store
	// failed to record (readiness: see internal/health).
	WriteFailed func(what string, err error)
}

func (o *Options) defaults() error {
	if o.Owner == "" {
		o.Owner = lease.DefaultOwner()
	}
	setDur(&o.Lease, 30*time.Second)
	setDur(&o.Timeout, 15*time.Second)
	setDur(&o.RetryFor, 24*time.Hour)
	setDur(&o.ShutdownWait, 10*time.Second)
	setDur(&o.BackoffBase, 30*time.Second)
	setDur(&o.BackoffMax, 30*time.Minute)
	setDur(&o.ReconcileDelay, 5*time.Second)
	setDur(&o.ReconcileWindow, time.Minute)
	setDur(&o.MaxIdle, time.Second)
	setDur(&o.RateLimitWait, time.Minute)
	setDur(&o.TokenWarning, 7*24*time.Hour)
	setDur(&o.TokenCheck, 12*time.Hour)
	setDur(&o.MetricsInterval, 15*time.Second)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.PerAccount <= 0 {
		o.PerAccount = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout >= o.Lease {
		return fmt.Errorf("dispatch: timeout %s must be shorter than the lease %s", o.Timeout, o.Lease)
	}
	return nil
}

func setDur(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// Dispatcher sends the outbox. Run it once per process; several processes
// may share one database.
type Dispatcher struct {
	store Store
	accts map[string]*Account
	order []string // account IDs in configuration order
	opts  Options
	log   *slog.Logger

	wake chan struct{}
	sem  chan struct{} // one token per API call in flight
	stop chan struct{} // closed when Run stops claiming
	wg   sync.WaitGroup

	mu           sync.Mutex
	busy         map[string]bool      // accounts with a batch in flight
	holds        map[string]time.Time // known hold ends (spacing, rate limits)
	budgetWarned map[string]string    // account → month last warned about
	stopped      bool
}

// New returns a dispatcher for accounts, which must have unique IDs and a
// Publisher each.
func New(store Store, accounts []Account, opts Options, logger *slog.Logger) (*Dispatcher, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{
		store:        store,
		accts:        make(map[string]*Account, len(accounts)),
		opts:         opts,
		log:          logger.With("owner", opts.Owner),
		wake:         make(chan struct{}, 1),
		sem:          make(chan struct{}, opts.Concurrency),
		stop:         make(chan struct{}),
		busy:         map[string]bool{},
		holds:        map[string]time.Time{},
		budgetWarned: map[string]string{},
	}
	for i := range accounts {
		a := accounts[i]
		switch {
		case a.ID == "":
			return nil, fmt.Errorf("dispatch: accounts[%d]: empty id", i)
		case d.accts[a.ID] != nil:
			return nil, fmt.Errorf("dispatch: account %s: duplicate id", a.ID)
		case a.Publisher == nil:
			return nil, fmt.Errorf("dispatch: account %s: no publisher", a.ID)
		}
		if a.Location == nil {
			a.Location = time.UTC
		}
		if a.Compose == nil {
			a.Compose = defaultCompose
		}
		if a.Network == "" {
			a.Network = a.Publisher.Network()
		}
		d.accts[a.ID] = &a
		d.order = append(d.order, a.ID)
	}
	return d, nil
}

func defaultCompose(a herald.Article, j herald.Job) (herald.Message, error) {
	text := j.Text
	if text == "" {
		text = a.Title + " " + a.URL
	}
	return herald.Message{Text: text, Link: a.URL, Title: a.Title}, nil
}

// Wake tells the dispatcher that a job may have become due (a new article, a
// repost): it looks at the queue at once instead of at its next timer.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run sends due jobs until ctx is done. It then stops claiming, gives back
// the jobs it claimed but did not start, lets the calls in flight finish for
// up to ShutdownWait, and returns nil. It returns an error only when it
// cannot start.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return errors.New("dispatch: run called after stop")
	}
	d.mu.Unlock()
	d.log.Info("dispatcher started", "accounts", len(d.order), "concurrency", d.opts.Concurrency, "dry_run", d.opts.DryRun)

	var lastTokens, lastMetrics time.Time
	errLog := rate.Sometimes{First: 3, Interval: time.Minute}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		now := d.opts.Now()
		if d.opts.TokenCheck > 0 && now.Sub(lastTokens) >= d.opts.TokenCheck {
			lastTokens = now
			d.CheckTokens(ctx)
		}
		if d.opts.Metrics != nil && now.Sub(lastMetrics) >= d.opts.MetricsInterval {
			lastMetrics = now
			d.refreshGauge(ctx)
		}
		n, err := d.dispatch(ctx, now)
		wait := d.opts.MaxIdle
		switch {
		case err != nil && ctx.Err() == nil:
			// Retried every MaxIdle; told to the operator now and then.
			errLog.Do(func() { d.log.Error("dispatch: claim jobs", "error", err) })
		case n > 0:
			wait = 0 // more may be due
		case d.allBusy():
			// Nothing can be claimed before a batch ends, and its end
			// wakes Run: no need to look at the queue.
		default:
			wait = d.nextWait(ctx, now)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return d.shutdown()
		case <-d.wake:
		case <-timer.C:
		}
	}
}

// shutdown stops claiming and waits up to ShutdownWait for sends in flight.
func (d *Dispatcher) shutdown() error {
	d.mu.Lock()
	d.stopped = true
	close(d.stop)
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	t := time.NewTimer(d.opts.ShutdownWait)
	defer t.Stop()
	select {
	case <-done:
		d.log.Info("dispatcher stopped")
	case <-t.C:
		// The jobs still sending keep their state; their leases expire and
		// they are reconciled by the next claim.
		d.log.Warn("dispatcher stopped with sends in flight", "waited", d.opts.ShutdownWait)
	}
	return nil
}

// RunOnce sends what is due now and returns how many jobs it handled
// (whatever their outcome). It waits for every send it starts. It is meant
// for tests and for commands that post without a daemon; do not call it
// while Run is running on the same Dispatcher.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	total := 0
	// Each round claims only jobs due now; jobs given back are due later or
	// belong to an account now held, so rounds end quickly. The bound is a
	// guard against a store that keeps handing the same job back.
	for range 1000 {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := d.dispatch(ctx, d.opts.Now())
		d.wg.Wait()
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, nil
}

// allBusy reports whether every account is sending a batch.
func (d *Dispatcher) allBusy() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.order) > 0 && len(d.busy) == len(d.order)
}

// nextWait is how long Run may sleep before the queue needs another look.
func (d *Dispatcher) nextWait(ctx context.Context, now time.Time) time.Duration {
	wait := d.opts.MaxIdle
	due, err := d.store.NextDue(ctx)
	if err != nil {
		return wait
	}
	if !due.IsZero() && due.After(now) {
		wait = min(wait, due.Sub(now))
	}
	if !due.IsZero() && !due.After(now) {
		// Something is due but was not claimable (hold, quiet hours, a busy
		// account): wake when a known hold ends.
		d.mu.Lock()
		for _, h := range d.holds {
			if h.After(now) {
				wait = min(wait, h.Sub(now))
			}
		}
		d.mu.Unlock()
	}
	return max(wait, time.Millisecond)
}

// Package notify sends alerts to outgoing webhooks when something needs a
// person: an account paused (credentials, suspension), a post failed for
// good or held for review, a daily cap or monthly budget reached, a token
// about to expire, a feed failing for a while.
//
// The Notifier does not hook into the parts that post: it looks at the
// store every Interval and derives the causes open now. Each cause is kept
// in the store (herald.AlertStore) while it lasts, so its alert is sent
// once, and a "recovered" message once when it clears, across restarts
// and by one of several instances sharing the database. Delivery runs
// apart, one bounded queue per webhook that drops its oldest alert when
// full, with retries and backoff: a webhook that is down delays nothing.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/tick"
)

// Events: the kinds of alert, the first part of a cause.
const (
	EventAccountPaused = "account_paused"
	EventPostFailed    = "post_failed"
	EventPostHeld      = "post_held"
	EventDailyCap      = "daily_cap"
	EventBudget        = "budget"
	EventTokenExpiring = "token_expiring"
	EventFeedFailing   = "feed_failing"
)

// Store is what the Notifier reads and keeps.
type Store interface {
	ListAccounts(ctx context.Context, now time.Time) ([]herald.Account, error)
	ListJobs(ctx context.Context, f herald.JobFilter) ([]herald.Job, error)
	ListSources(ctx context.Context) ([]herald.Source, error)
	SentCount(ctx context.Context, account string, since time.Time) (int, error)
	herald.AlertStore
}

// Options configure a Notifier.
type Options struct {
	Webhooks []Webhook
	// Interval is the time between two looks at the store (default 30s).
	Interval time.Duration
	// FeedFailingFor is how long a feed fails before it is an alert
	// (default 1h); TokenWarning how long before a token expires (default
	// 7 days).
	FeedFailingFor time.Duration
	TokenWarning   time.Duration
	// Rules are the accounts' sending rules, by account: a daily cap or a
	// monthly budget reached is an alert (herald.Eligibility decides).
	Rules map[string]herald.Rules
	// QueueSize bounds the alerts waiting per webhook (default 100).
	QueueSize int
	// Retry: attempts per alert (default 5) and the first delay, doubled
	// after each failure up to RetryMax (defaults 1s and 1m).
	Attempts            int
	RetryBase, RetryMax time.Duration
	Now                 func() time.Time // default time.Now
}

// Notifier watches the store and sends alerts.
type Notifier struct {
	store Store
	opts  Options
	sinks []*sink
	log   *slog.Logger
}

// New returns a Notifier over st; it does nothing until Run.
func New(st Store, opts Options, logger *slog.Logger) *Notifier {
	if opts.Interval <= 0 {
		opts.Interval = 30 * time.Second
	}
	if opts.FeedFailingFor <= 0 {
		opts.FeedFailingFor = time.Hour
	}
	if opts.TokenWarning <= 0 {
		opts.TokenWarning = 7 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{store: st, opts: opts, log: logger}
	for i, w := range opts.Webhooks {
		n.sinks = append(n.sinks, newSink(w, opts, logger.With("webhook", i)))
	}
	return n
}

// Run looks at the store every Interval and delivers the alerts until ctx
// is done. With no webhook it only waits. A failed look is logged and
// tried again at the next.
func (n *Notifier) Run(ctx context.Context) error {
	if len(n.sinks) == 0 {
		<-ctx.Done()
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range n.sinks {
		g.Go(func() error { return s.run(gctx) })
	}
	g.Go(func() error {
		return tick.Every(gctx, n.opts.Interval, func(ctx context.Context) {
			if err := n.Check(ctx); err != nil && ctx.Err() == nil {
				n.log.Error("notify: look for alerts", "error", err)
			}
		})
	})
	return g.Wait()
}

// Dropped counts the alerts dropped because a webhook's queue was full.
func (n *Notifier) Dropped() int64 {
	var total int64
	for _, s := range n.sinks {
		total += s.dropped.Load()
	}
	return total
}

// cause is one reason for an alert open now.
type cause struct {
	id      string // event ":" subject
	event   string
	message string
	grace   time.Duration // open this long before it is raised
}

// Check looks at the store once: raises the alerts of new causes (past
// their grace) and sends "recovered" for the raised ones that cleared.
func (n *Notifier) Check(ctx context.Context) error {
	now := n.opts.Now()
	causes, err := n.causes(ctx, now)
	if err != nil {
		return err
	}
	open, err := n.store.ListAlerts(ctx)
	if err != nil {
		return err
	}
	byCause := make(map[string]herald.Alert, len(open))
	for _, a := range open {
		byCause[a.Cause] = a
	}
	active := make(map[string]bool, len(causes))
	for _, c := range causes {
		active[c.id] = true
		a, ok := byCause[c.id]
		if ok && a.Raised {
			continue
		}
		if !ok {
			if err := n.store.OpenAlert(ctx, c.id, c.message, now); err != nil {
				return err
			}
		}
		raised, err := n.store.RaiseAlert(ctx, c.id, now.Add(-c.grace))
		if err != nil {
			return err
		}
		if raised {
			n.send(Alert{Event: c.event, Cause: c.id, State: StateRaised, Message: c.message, At: now})
		}
	}
	for _, a := range open {
		if active[a.Cause] {
			continue
		}
		raised, err := n.store.CloseAlert(ctx, a.Cause)
		if err != nil {
			return err
		}
		if raised {
			event, _, _ := cutCause(a.Cause)
			n.send(Alert{Event: event, Cause: a.Cause, State: StateRecovered, Message: a.Message, At: now})
		}
	}
	return nil
}

func cutCause(id string) (event, subject string, ok bool) {
	for i := range len(id) {
		if id[i] == ':' {
			return id[:i], id[i+1:], true
		}
	}
	return id, "", false
}

func (n *Notifier) send(a Alert) {
	n.log.Info("notify: alert", "event", a.Event, "cause", a.Cause, "state", a.State)
	for _, s := range n.sinks {
		s.push(a)
	}
}

// causes derives the causes of alert open at now from the store.
func (n *Notifier) causes(ctx context.Context, now time.Time) ([]cause, error) {
	var out []cause
	add := func(event, subject string, grace time.Duration, format string, args ...any) {
		out = append(out, cause{id: event + ":" + subject, event: event, message: fmt.Sprintf(format, args...), grace: grace})
	}
	accounts, err := n.store.ListAccounts(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	for _, a := range accounts {
		if a.Paused {
			add(EventAccountPaused, a.ID, 0, "Account %s is paused: %s", a.ID, a.PauseReason)
		}
		if !a.TokenExpiresAt.IsZero() && a.TokenExpiresAt.Before(now.Add(n.opts.TokenWarning)) {
			add(EventTokenExpiring, a.ID, 0, "The token of account %s expires %s", a.ID,
				a.TokenExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
		r, ok := n.opts.Rules[a.ID]
		if !ok || (r.DailyCap == 0 && r.MonthlyBudget == 0) {
			continue
		}
		st := herald.AccountState{SpentMonth: a.MonthSpend}
		if r.DailyCap > 0 {
			if st.SentToday, err = n.store.SentCount(ctx, a.ID, herald.DayStart(now, r.Location)); err != nil {
				return nil, fmt.Errorf("sent count: %w", err)
			}
		}
		// Only the caps count here: quiet hours are no alert.
		r.QuietStart, r.QuietEnd = 0, 0
		switch herald.Eligibility(a.ID, r, st, now).Wait {
		case herald.WaitDailyCap:
			// One cause a day: tomorrow's cap is another alert.
			add(EventDailyCap, a.ID+":"+herald.DayStart(now, r.Location).Format(time.DateOnly), 0,
				"Account %s reached its daily cap (%d posts): no more posts today", a.ID, r.DailyCap)
		case herald.WaitBudget:
			add(EventBudget, a.ID, 0, "Account %s reached its monthly budget ($%.2f): no more posts this month",
				a.ID, r.MonthlyBudget.Dollars())
		}
	}
	jobs, err := n.store.ListJobs(ctx, herald.JobFilter{States: []herald.JobState{herald.JobFailed, herald.JobHeld}})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	slices.SortFunc(jobs, func(a, b herald.Job) int { return int(a.ID - b.ID) })
	for _, j := range jobs {
		id := strconv.FormatInt(j.ID, 10)
		if j.State == herald.JobFailed {
			add(EventPostFailed, id, 0, "Post %d failed for good (%s: %s): %s", j.ID, j.Account, title(j), j.LastError)
		} else {
			add(EventPostHeld, id, 0, "Post %d is held for review (%s: %s): herald queue approve %d", j.ID, j.Account, title(j), j.ID)
		}
	}
	sources, err := n.store.ListSources(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	for _, s := range sources {
		if s.LastError != "" && s.Failures > 0 {
			add(EventFeedFailing, s.Name, n.opts.FeedFailingFor, "Feed %s has been failing for %s: %s", s.Name,
				herald.ShortDuration(n.opts.FeedFailingFor), s.LastError)
		}
	}
	return out, nil
}

func title(j herald.Job) string {
	if j.Article == nil {
		return ""
	}
	return j.Article.Title
}

// Package rank reads the engagement of Herald's posts back from the networks
// (the Collector) and turns the store's rankings into reports: it parses and
// checks report parameters (Params), and writes rows as a table, JSON or CSV.
//
// The ranking itself is SQL in the store (herald.Store.Report); this package
// holds what the store should not: schedules, network calls, and formats.
package rank

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/lease"
)

// Account is one configured account whose posts' engagement is read.
type Account struct {
	ID        string
	Network   herald.Network
	Publisher herald.Publisher
	// ReadCost is what the network bills to read one post (X: $0.005, once
	// per post and UTC day); 0 records no charge.
	ReadCost herald.Money
}

// Options tune the collector. Zero values take the defaults in brackets.
type Options struct {
	Interval   time.Duration // time between passes (ranking.collect_interval) [15m]
	CollectFor time.Duration // posts older than this are no longer read (ranking.collect_for) [7d]
	Owner      string        // this instance's ID, for the pass lock [hostname-pid]
	// Lease is how long the lock that keeps other instances from running
	// passes of their own outlives a holder that died; a live holder renews
	// it by a heartbeat and gives it back when it stops [lease.DefaultTTL].
	Lease time.Duration
	Now   func() time.Time // [time.Now]
	// Progress, when set, is told after each batch how many due posts have
	// been handled out of how many (for a progress bar).
	Progress func(done, total int)
}

func (o *Options) defaults() {
	if o.Interval <= 0 {
		o.Interval = 15 * time.Minute
	}
	if o.CollectFor <= 0 {
		o.CollectFor = 7 * 24 * time.Hour
	}
	if o.Lease <= 0 {
		o.Lease = lease.DefaultTTL
	}
	if o.Owner == "" {
		o.Owner = lease.DefaultOwner()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// LockName is the store lock that lets one instance at a time run passes.
const LockName = "collector"

// pageSize is how many posts one PostsToCollect call returns.
const pageSize = 1000

// batchSize is how many posts one engagement request asks about: X's
// GET /2/tweets takes 100 ids, Graph's ?ids= 50.
func batchSize(n herald.Network) int {
	if n == herald.Twitter {
		return 100
	}
	return 50
}

// PassStats says what one pass did.
type PassStats struct {
	Posts    int           // live posts younger than CollectFor
	Due      int           // of those, due for a reading by the schedule
	Read     int           // readings stored as snapshots
	Gone     int           // posts the network no longer has, now kept out of rankings
	Failed   int           // due posts not read because of an error or a rate limit
	Requests int           // engagement calls made (one per batch)
	Charged  int           // reads recorded in the ledger (first read of a post on a UTC day)
	Cost     herald.Money  // their amount
	Held     []string      // accounts rate-limited during the pass
	Elapsed  time.Duration // wall time the pass took
}

// Collector reads the engagement of sent posts on a schedule and stores it
// as snapshots, so rankings have totals and growth over time.
type Collector struct {
	store    Store
	accounts map[string]Account
	order    []string
	opts     Options
	log      *slog.Logger

	mu sync.Mutex // one pass at a time
	// heldUntil is when each rate-limited account may be read again.
	heldUntil map[string]time.Time
}

// NewCollector returns a collector for the posts of accounts. Accounts
// without a publisher are left out. A nil logger discards logs.
func NewCollector(store Store, accounts []Account, opts Options, logger *slog.Logger) *Collector {
	opts.defaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Collector{store: store, accounts: map[string]Account{}, opts: opts,
		log: logger.With("component", "collector"), heldUntil: map[string]time.Time{}}
	for _, a := range accounts {
		if a.Publisher == nil {
			continue
		}
		if a.Network == "" {
			a.Network = a.Publisher.Network()
		}
		if _, dup := c.accounts[a.ID]; !dup {
			c.order = append(c.order, a.ID)
		}
		c.accounts[a.ID] = a
	}
	return c
}

// Run runs a pass now and then every Interval until ctx ends, each only if
// this instance holds the collector lock, so that among several instances
// sharing a database one collects at a time. The lock is renewed while this
// instance runs and given back when Run returns; an instance without it
// tries again every Lease/3, and runs a pass as soon as it takes it. A pass
// reads only the posts due by the schedule, so one at every start costs no
// more than the reads that were due anyway. Run returns nil when ctx ends.
func (c *Collector) Run(ctx context.Context) error {
	c.log.Info("collector started", "accounts", len(c.order), "interval", c.opts.Interval.String(),
		"collect_for", c.opts.CollectFor.String())
	lock := lease.New(c.store, LockName, c.opts.Owner, lease.Options{TTL: c.opts.Lease, Now: c.opts.Now, Logger: c.log})
	defer lock.Release()
	t := time.NewTicker(min(lock.TTL()/3, c.opts.Interval))
	defer t.Stop()
	var next time.Time // the next pass is due now
	for {
		if !c.opts.Now().Before(next) && c.lockedPass(ctx, lock) {
			next = c.opts.Now().Add(c.opts.Interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// lockedPass runs a pass if the collector lock is (or can be) ours, and
// reports whether it was.
func (c *Collector) lockedPass(ctx context.Context, lock *lease.Lock) bool {
	ok, err := lock.Hold(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Error("collector: take lock", "error", err)
		}
		return false
	}
	if !ok {
		return false
	}
	st, err := c.Pass(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Error("collector: pass", "error", err)
		}
		return true
	}
	c.log.Info("collector pass", "posts", st.Posts, "due", st.Due, "read", st.Read, "gone", st.Gone,
		"failed", st.Failed, "requests", st.Requests, "cost_usd", st.Cost.Dollars(), "elapsed", st.Elapsed.String())
	return true
}

// Pass reads, now, the engagement of every post due by the schedule (see
// schedule), account by account in batches, and stores what it read. A
// rate-limited account is held and skipped; another failing account is
// logged and skipped; the pass goes on with the others. Pass returns an
// error only when the store fails or ctx ends.
func (c *Collector) Pass(ctx context.Context) (PassStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	began := time.Now() // Elapsed is wall time, whatever the clock says
	var st PassStats
	queue, err := c.duePosts(ctx, c.opts.Now(), &st)
	if err != nil {
		return st, err
	}
	done := 0
	for _, id := range c.order {
		posts := queue[id]
		if len(posts) == 0 {
			continue
		}
		if err := c.collectAccount(ctx, c.accounts[id], posts, &st, &done); err != nil {
			return st, err
		}
	}
	st.Elapsed = time.Since(began)
	return st, nil
}

// duePosts returns the due posts of each account, in job order.
func (c *Collector) duePosts(ctx context.Context, now time.Time, st *PassStats) (map[string][]herald.Post, error) {
	queue := map[string][]herald.Post{}
	if len(c.order) == 0 {
		return queue, nil
	}
	f := herald.PostFilter{Accounts: c.order, SentAfter: now.Add(-c.opts.CollectFor), Limit: pageSize}
	slack := c.opts.Interval / 2
	for {
		page, err := c.store.PostsToCollect(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("collect: list posts: %w", err)
		}
		for _, p := range page {
			st.Posts++
			if due(p, now, slack) {
				st.Due++
				queue[p.Account] = append(queue[p.Account], p)
			}
		}
		if len(page) < pageSize {
			return queue, nil
		}
		f.AfterJobID = page[len(page)-1].JobID
	}
}

// collectAccount reads one account's due posts in batches.
func (c *Collector) collectAccount(ctx context.Context, a Account, posts []herald.Post, st *PassStats, done *int) error {
	log := c.log.With("account", a.ID)
	if until := c.heldUntil[a.ID]; c.opts.Now().Before(until) {
		log.Debug("collect: account rate-limited, skipped", "until", until, "posts", len(posts))
		st.Failed += len(posts)
		*done += len(posts)
		c.progress(*done, st.Due)
		return nil
	}
	size := batchSize(a.Network)
	for i := 0; i < len(posts); i += size {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := posts[i:min(i+size, len(posts))]
		err := c.collectBatch(ctx, a, batch, st)
		*done += len(batch)
		if err == nil {
			c.progress(*done, st.Due)
			continue
		}
		var se *storeError
		if errors.As(err, &se) {
			return se.err
		}
		// The account's remaining posts wait for the next pass.
		rest := len(posts) - i - len(batch)
		st.Failed += rest
		*done += rest
		c.progress(*done, st.Due)
		if herald.KindOf(err) == herald.ErrRateLimited {
			return c.hold(ctx, a, err, st)
		}
		log.Error("collect: read engagement", "error", err, "posts_skipped", rest)
		return nil
	}
	return nil
}

// storeError marks a store failure, which ends the pass.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }

// collectBatch reads one batch and stores its snapshots, gone posts and
// read charges. Whatever the network answered before failing is kept; due
// posts neither read nor gone count as failed and wait for the next pass.
func (c *Collector) collectBatch(ctx context.Context, a Account, batch []herald.Post, st *PassStats) error {
	ids := make([]string, len(batch))
	for i, p := range batch {
		ids[i] = p.RemoteID
	}
	st.Requests++
	counts, gone, callErr := a.Publisher.Engagement(ctx, ids)
	now := c.opts.Now()
	goneSet := make(map[string]bool, len(gone))
	for _, id := range gone {
		goneSet[id] = true
	}
	snaps := make([]herald.Snapshot, 0, len(batch))
	read := make([]herald.Post, 0, len(batch))
	var lost []herald.Post
	for _, p := range batch {
		if e, ok := counts[p.RemoteID]; ok {
			snaps = append(snaps, herald.Snapshot{JobID: p.JobID, At: now, Engagement: e})
			read = append(read, p)
		} else if goneSet[p.RemoteID] {
			lost = append(lost, p)
		}
	}
	st.Failed += len(batch) - len(read) - len(lost)
	// Reads are charged before their snapshots are saved: a reading that
	// was stored has always been charged, which lets charge skip posts
	// already read today.
	if err := c.charge(ctx, a, read, now, st); err != nil {
		return &storeError{err}
	}
	if err := c.store.SaveSnapshots(ctx, snaps); err != nil {
		return &storeError{fmt.Errorf("collect: save snapshots: %w", err)}
	}
	st.Read += len(snaps)
	for _, p := range lost {
		if err := c.store.MarkRemoteGone(ctx, p.JobID); err != nil && !errors.Is(err, herald.ErrNotFound) {
			return &storeError{fmt.Errorf("collect: mark post gone: %w", err)}
		}
		st.Gone++
		c.log.Info("post gone from the network", "account", a.ID, "job", p.JobID, "remote_id", p.RemoteID)
	}
	return callErr
}

// charge records the reads of posts in the ledger; the store records a
// post's read once per UTC day, as the network bills it. A post whose last
// reading was taken today (UTC) has been charged already: it is skipped
// without asking the store.
func (c *Collector) charge(ctx context.Context, a Account, read []herald.Post, now time.Time, st *PassStats) error {
	if a.ReadCost <= 0 {
		return nil
	}
	today := now.UTC().Truncate(24 * time.Hour)
	for _, p := range read {
		if !p.LastCollectedAt.IsZero() && !p.LastCollectedAt.UTC().Before(today) {
			continue
		}
		recorded, err := c.store.RecordCharge(ctx, herald.Charge{Account: a.ID, Kind: herald.CostRead,
			RemoteID: p.RemoteID, Amount: a.ReadCost, At: now})
		if err != nil {
			return fmt.Errorf("collect: record read charge: %w", err)
		}
		if recorded {
			st.Charged++
			st.Cost += a.ReadCost
		}
	}
	return nil
}

// hold keeps a rate-limited account from being read until the API says it
// may be. Graph's limits count every call of the app and Page, so a
// throttled Facebook account is also held from posting in the store; X
// limits each endpoint on its own, so reads being limited says nothing
// about posting.
func (c *Collector) hold(ctx context.Context, a Account, err error, st *PassStats) error {
	until := c.opts.Now().Add(c.opts.Interval)
	var he *herald.Error
	if errors.As(err, &he) && !he.RetryAt.IsZero() {
		until = he.RetryAt
	}
	c.heldUntil[a.ID] = until
	st.Held = append(st.Held, a.ID)
	c.log.Warn("collect: account rate-limited", "account", a.ID, "until", until, "error", err)
	if a.Network != herald.Facebook {
		return nil
	}
	if err := c.store.HoldAccount(ctx, a.ID, until, "rate limited reading engagement"); err != nil &&
		!errors.Is(err, herald.ErrNotFound) {
		return fmt.Errorf("collect: hold account %s: %w", a.ID, err)
	}
	return nil
}

func (c *Collector) progress(done, total int) {
	if c.opts.Progress != nil {
		c.opts.Progress(done, total)
	}
}

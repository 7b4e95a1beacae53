package dispatch

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// TestSpacingCountsFromTheEndOfASlowCall: a call that takes longer than
// min_interval holds the account for min_interval from its end, not from
// the claim, so two posts never arrive closer than min_interval.
func TestSpacingCountsFromTheEndOfASlowCall(t *testing.T) {
	t.Parallel()
	fx, x, a := xFixture(t, func(a *Account) { a.MinInterval = 10 * time.Second })
	// Each call takes 30 s by the clock: three times the spacing.
	x.publish = func(int, herald.Message) (bool, error) {
		fx.clock.Advance(30 * time.Second)
		return true, nil
	}
	fx.articles(2, "x")
	d := fx.dispatcher([]Account{a}, Options{Lease: time.Minute, Timeout: 45 * time.Second})

	fx.runOnce(d) // the call ends at t0+30s
	if n := len(x.Posts()); n != 1 {
		t.Fatalf("%d posts right after a slow call, want 1: spacing counted from the claim", n)
	}
	fx.clock.Set(t0.Add(39 * time.Second))
	if fx.runOnce(d); len(x.Posts()) != 1 {
		t.Fatal("a post 9 s after the end of the last call, want min_interval (10 s)")
	}
	fx.clock.Set(t0.Add(40 * time.Second))
	if fx.runOnce(d); len(x.Posts()) != 2 {
		t.Fatalf("%d posts min_interval after the end of the call, want 2", len(x.Posts()))
	}
}

// claimLog records the options of every claim.
type claimLog struct {
	herald.Store
	mu   sync.Mutex
	opts []herald.ClaimOptions
}

func (c *claimLog) ClaimJobs(ctx context.Context, o herald.ClaimOptions) ([]herald.Job, error) {
	c.mu.Lock()
	c.opts = append(c.opts, o)
	c.mu.Unlock()
	return c.Store.ClaimJobs(ctx, o)
}

// TestDispatcherKeepsTheDailyCapItself: the dispatcher asks the store for a
// capped account's jobs only while its cap leaves room, and every such
// claim carries the cap for the store to count again (for instances
// sharing the database); either alone would still hold the cap in one
// process, so each is checked here.
func TestDispatcherKeepsTheDailyCapItself(t *testing.T) {
	t.Parallel()
	fx, x, a := xFixture(t, func(a *Account) { a.DailyCap = 2 })
	fx.articles(4, "x")
	log := &claimLog{Store: fx.store}
	d, err := New(log, []Account{a}, Options{Now: fx.clock.Now, Owner: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fx.runOnce(d)
	if n := len(x.Posts()); n != 2 {
		t.Fatalf("%d posts, want the cap of 2", n)
	}
	log.mu.Lock()
	claims := log.opts
	log.opts = nil
	log.mu.Unlock()
	day := herald.DayStart(fx.clock.Now(), time.UTC)
	for i, o := range claims {
		if _, ok := o.Accounts["x"]; !ok {
			continue
		}
		found := false
		for _, l := range o.Limits {
			found = found || (l.Account == "x" && l.Max == 2 && l.Since.Equal(day))
		}
		if !found {
			t.Errorf("claim %d for x carries limits %+v, want the daily cap (2 since %s)", i, o.Limits, day)
		}
	}
	fx.runOnce(d)
	log.mu.Lock()
	defer log.mu.Unlock()
	for i, o := range log.opts {
		if _, ok := o.Accounts["x"]; ok {
			t.Errorf("claim %d asked for x's jobs with its cap reached", i)
		}
	}
}

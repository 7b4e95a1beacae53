package lease_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/lease"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// counting counts the TryLock calls made at or after a time.
type counting struct {
	lease.Store
	after time.Time
	n     atomic.Int64
}

func (c *counting) TryLock(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	ok, err := c.Store.TryLock(ctx, name, owner, now, ttl)
	if !now.Before(c.after) && ok {
		c.n.Add(1)
	}
	return ok, err
}

func TestReleaseHandsTheLockOverAtOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := teststore.SQLite(t)
	clk := testkit.NewClock(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	var logs testkit.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	a := lease.New(db, "collector", "a", lease.Options{TTL: time.Hour, Now: clk.Now, Logger: logger})
	b := lease.New(db, "collector", "b", lease.Options{TTL: time.Hour, Now: clk.Now, Logger: logger})
	defer b.Release()
	hold := func(l *lease.Lock) bool {
		t.Helper()
		ok, err := l.Hold(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !hold(a) {
		t.Fatal("a could not take a free lock")
	}
	if !hold(a) {
		t.Fatal("a lost its own lock")
	}
	if hold(b) || hold(b) {
		t.Fatal("b took a lock a holds")
	}
	if n := strings.Count(logs.String(), "lock held by another live instance"); n != 1 {
		t.Errorf("the held lock was said %d times at info level, want once:\n%s", n, logs.String())
	}
	a.Release()
	a.Release() // twice is harmless
	if !hold(b) {
		t.Fatal("b could not take the lock a released, long before a's lease would end")
	}
	if !strings.Contains(logs.String(), "lock taken over from another instance") {
		t.Errorf("the take-over was not said:\n%s", logs.String())
	}
}

func TestHeartbeatRenewsTheLease(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := teststore.SQLite(t)
	clk := testkit.NewClock(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	const ttl = 30 * time.Millisecond // renewed every 10 ms of real time
	later := clk.Now().Add(time.Hour)
	st := &counting{Store: db, after: later}
	a := lease.New(st, "collector", "a", lease.Options{TTL: ttl, Now: clk.Now})
	if ok, err := a.Hold(ctx); !ok || err != nil {
		t.Fatal(ok, err)
	}
	// An hour later by the clock, the lease a took has long ended: only a
	// renewal at the new time keeps it.
	clk.Advance(time.Hour)
	deadline := time.Now().Add(10 * time.Second)
	for st.n.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no renewal of the lease")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if ok, err := db.TryLock(ctx, "collector", "b", clk.Now(), ttl); ok || err != nil {
		t.Errorf("b took a's lock while a's heartbeat ran: %v %v", ok, err)
	}
	a.Release()
	if ok, err := db.TryLock(ctx, "collector", "b", clk.Now(), ttl); !ok || err != nil {
		t.Errorf("b could not take the lock a released: %v %v", ok, err)
	}
}

func TestHoldForgetsALostLock(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := teststore.SQLite(t)
	clk := testkit.NewClock(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	a := lease.New(db, "collector", "a", lease.Options{TTL: 30 * time.Millisecond, Now: clk.Now})
	defer a.Release()
	if ok, err := a.Hold(ctx); !ok || err != nil {
		t.Fatal(ok, err)
	}
	// Another instance takes the lock (a's lease ended, say, while its
	// process was stopped); a's next renewal finds it lost.
	if err := db.Unlock(ctx, "collector", "a"); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.TryLock(ctx, "collector", "b", clk.Now(), time.Hour); !ok || err != nil {
		t.Fatal(ok, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := a.Hold(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a still believes it holds a lock b took")
		}
		time.Sleep(5 * time.Millisecond)
	}
	a.Release()
	if ok, err := db.TryLock(ctx, "collector", "b", clk.Now(), time.Hour); !ok || err != nil {
		t.Errorf("a's release took b's lock: %v %v", ok, err)
	}
}

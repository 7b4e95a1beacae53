// Package lease holds a named store lock for as long as its holder lives:
// the lease is short and renewed by a heartbeat while the work goes on, and
// given back when the holder stops, so that another instance (or the same
// one restarted) takes over within seconds, not after a multiple of a
// schedule's interval.
package lease

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultTTL is how long a lock outlives a holder that stopped renewing it
// (a killed process); a live holder renews it every TTL/3.
const DefaultTTL = 30 * time.Second

// releaseTimeout bounds the store call that gives a lock back at shutdown,
// when the holder's own context has already ended.
const releaseTimeout = 5 * time.Second

// Store is what a Lock needs of the store.
type Store interface {
	// TryLock takes or renews the named lease for owner until now+lease; it
	// returns false while another owner's lease runs.
	TryLock(ctx context.Context, name, owner string, now time.Time, lease time.Duration) (bool, error)
	// Unlock gives up owner's lease on the named lock.
	Unlock(ctx context.Context, name, owner string) error
}

// Options configure a Lock. Zero values take the defaults in brackets.
type Options struct {
	TTL time.Duration    // lease length [DefaultTTL]
	Now func() time.Time // clock for the lease's end [time.Now]
	// Logger is told, at info level, when the lock is held by another live
	// instance and when it is taken; nil discards.
	Logger *slog.Logger
}

// Lock is one named lock held by one owner. Its methods are safe for
// concurrent use.
type Lock struct {
	store       Store
	name, owner string
	ttl         time.Duration
	now         func() time.Time
	log         *slog.Logger

	mu     sync.Mutex
	held   bool
	taken  bool // taken at least once: Release gives it back
	others bool // the last attempt found another holder (said once)
	stop   context.CancelFunc
	done   chan struct{}
}

// New returns the lock name for owner; nothing is taken until Hold.
func New(store Store, name, owner string, opts Options) *Lock {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Lock{store: store, name: name, owner: owner, ttl: opts.TTL, now: opts.Now,
		log: opts.Logger.With("lock", name)}
}

// TTL is the lease's length.
func (l *Lock) TTL() time.Duration { return l.ttl }

// Hold reports whether this owner holds the lock, taking it when it is free.
// Once taken, a heartbeat renews it every TTL/3 until Release or ctx ends;
// when a renewal finds it lost (or none succeeds for a whole TTL), the lock
// is no longer held and the next Hold tries to take it again.
func (l *Lock) Hold(ctx context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held {
		return true, nil
	}
	if l.done != nil {
		// A heartbeat that gave up has returned, or is about to.
		l.stop()
		<-l.done
		l.stop, l.done = nil, nil
	}
	ok, err := l.store.TryLock(ctx, l.name, l.owner, l.now(), l.ttl)
	if err != nil {
		return false, err
	}
	if !ok {
		if !l.others {
			l.log.Info("lock held by another live instance; this one waits for it", "owner", l.owner,
				"ttl", l.ttl.String())
		}
		l.others = true
		return false, nil
	}
	if l.others {
		l.log.Info("lock taken over from another instance", "owner", l.owner)
	}
	l.others, l.held, l.taken = false, true, true
	hctx, stop := context.WithCancel(ctx)
	l.stop, l.done = stop, make(chan struct{})
	go l.heartbeat(hctx, l.done)
	return true, nil
}

// heartbeat renews the lease until ctx ends or the lease is lost.
func (l *Lock) heartbeat(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	renewed := l.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := l.now()
		ok, err := l.store.TryLock(ctx, l.name, l.owner, now, l.ttl)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && ok:
			renewed = now
			continue
		case err == nil:
			l.log.Warn("lock lost to another instance", "owner", l.owner)
		case now.Sub(renewed) < l.ttl:
			l.log.Warn("lock: renew failed; trying again", "error", err)
			continue
		default:
			l.log.Warn("lock: renew failed for a whole lease; given up", "error", err)
		}
		l.mu.Lock()
		l.held = false
		l.mu.Unlock()
		return
	}
}

// Release stops the heartbeat and gives the lock back, so another instance
// takes it at once; it is safe to call more than once and when the lock was
// never taken. It uses its own short deadline, so it works after the
// holder's context has ended (at shutdown).
func (l *Lock) Release() {
	l.mu.Lock()
	stop, done, taken := l.stop, l.done, l.taken
	l.stop, l.done, l.held, l.taken = nil, nil, false, false
	l.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if !taken {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	if err := l.store.Unlock(ctx, l.name, l.owner); err != nil {
		l.log.Warn("lock: release", "error", err)
		return
	}
	l.log.Debug("lock released", "owner", l.owner)
}

package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/herald"
)

// SenderOptions say which accounts a dispatcher sends for, and as whom.
// Zero values take the defaults in brackets.
type SenderOptions struct {
	// Accounts are the accounts whose jobs are sent [every configured one].
	Accounts []string
	// Owner is the lease owner [dispatch.instance_id]. A command sending
	// beside a daemon names itself apart from the daemon.
	Owner string
	// OneAtATime claims one job at a time, with one call in flight: a
	// command sending one post sends that one (and at most the account's
	// jobs due before it), not the backlog after.
	OneAtATime bool
	Now        func() time.Time  // [time.Now]
	Metrics    *dispatch.Metrics // optional
	// WriteFailed is told of every store write that failed (optional).
	WriteFailed func(what string, err error)
}

// NewDispatcher builds the dispatcher that sends the jobs of opts.Accounts
// with the publishers in pubs. The daemon runs it (Run); a command that
// sends now runs it once (SendNow). Both therefore send by the same rules:
// spacing, caps, budgets, quiet hours, retries and reconciliation.
func NewDispatcher(cfg *config.Config, st herald.Store, pubs map[string]herald.Publisher, opts SenderOptions, logger *slog.Logger) (*dispatch.Dispatcher, error) {
	sub := *cfg
	if len(opts.Accounts) > 0 {
		sub.Accounts = make(map[string]config.Account, len(opts.Accounts))
		for _, id := range opts.Accounts {
			a, ok := cfg.Accounts[id]
			if !ok {
				return nil, configErrorf("account %q is not configured", id)
			}
			sub.Accounts[id] = a
		}
	}
	comps, err := Composers(&sub)
	if err != nil {
		return nil, err
	}
	accts, err := DispatchAccounts(&sub, pubs, comps, ShortBase(cfg))
	if err != nil {
		return nil, err
	}
	o := DispatchOptions(cfg, opts.Metrics)
	if opts.Owner != "" {
		o.Owner = opts.Owner
	}
	if opts.Now != nil {
		o.Now = opts.Now
	}
	o.WriteFailed = opts.WriteFailed
	if opts.OneAtATime {
		o.PerAccount, o.Concurrency = 1, 1
	}
	return dispatch.New(st, accts, o, logger)
}

// SendNow sends, once, every job of d's accounts that is due now, in queue
// order, and returns when those sends are recorded: how `herald post` and
// `herald repost` send without a daemon. It returns how many jobs it
// handled, whatever their outcome.
func SendNow(ctx context.Context, d *dispatch.Dispatcher) (int, error) {
	n, err := d.RunOnce(ctx)
	if err != nil {
		return n, fmt.Errorf("send: %w", err)
	}
	return n, nil
}

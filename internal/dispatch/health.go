package dispatch

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// AccountHealth is what /readyz and `herald status` say about an account.
type AccountHealth struct {
	ID             string
	Network        herald.Network
	Paused         bool
	PauseReason    string
	HoldUntil      time.Time // zero or past: not held
	HoldReason     string
	TokenExpiresAt time.Time // zero: never or unknown
	MonthSpend     herald.Money
	MonthlyBudget  herald.Money // 0: none
	PendingJobs    int
	// Warnings are what an operator should act on: a paused account, a token
	// expiring within Options.TokenWarning, a spent budget.
	Warnings []string
}

// OK reports whether the account has nothing an operator must act on.
func (h AccountHealth) OK() bool { return len(h.Warnings) == 0 }

// Health returns the state of every configured account, in configuration order.
func (d *Dispatcher) Health(ctx context.Context) ([]AccountHealth, error) {
	now := d.opts.Now()
	list, err := d.store.ListAccounts(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("dispatch: health: %w", err)
	}
	byID := make(map[string]herald.Account, len(list))
	for _, a := range list {
		byID[a.ID] = a
	}
	out := make([]AccountHealth, 0, len(d.order))
	for _, id := range d.order {
		a, st := d.accts[id], byID[id]
		h := AccountHealth{
			ID: id, Network: a.Network, Paused: st.Paused, PauseReason: st.PauseReason,
			HoldUntil: st.HoldUntil, HoldReason: st.HoldReason, TokenExpiresAt: st.TokenExpiresAt,
			MonthSpend: st.MonthSpend, MonthlyBudget: a.Cost.MonthlyBudget, PendingJobs: st.PendingJobs,
		}
		if st.Paused {
			h.Warnings = append(h.Warnings, "paused: "+st.PauseReason)
		}
		if w := d.tokenWarning(st.TokenExpiresAt, now); w != "" {
			h.Warnings = append(h.Warnings, w)
		}
		if a.Cost.MonthlyBudget > 0 && st.MonthSpend+postCost(a) > a.Cost.MonthlyBudget {
			h.Warnings = append(h.Warnings, "monthly budget reached")
		}
		out = append(out, h)
	}
	return out, nil
}

// tokenWarning says when a token expiring at exp (zero: never) needs renewing.
func (d *Dispatcher) tokenWarning(exp, now time.Time) string {
	switch {
	case exp.IsZero():
		return ""
	case !exp.After(now):
		return "token expired at " + exp.UTC().Format(time.RFC3339)
	case exp.Sub(now) <= d.opts.TokenWarning:
		return fmt.Sprintf("token expires in %s (at %s)", exp.Sub(now).Round(time.Hour), exp.UTC().Format(time.RFC3339))
	}
	return ""
}

// CheckTokens asks each Facebook account's publisher who it is, records the
// token's expiry in the store, and warns in the log about any token that
// expires within Options.TokenWarning. Run calls it every Options.TokenCheck.
func (d *Dispatcher) CheckTokens(ctx context.Context) {
	for _, id := range d.order {
		a := d.accts[id]
		if a.Network != herald.Facebook {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
		ident, err := a.Publisher.Check(cctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("token check failed", "account", id, "error", err)
			}
			continue
		}
		if !ident.Expires.IsZero() {
			if err := d.store.SetTokenExpiry(ctx, id, ident.Expires); err != nil {
				d.log.Warn("dispatch: record token expiry", "account", id, "error", err)
			}
		}
		if w := d.tokenWarning(ident.Expires, d.opts.Now()); w != "" {
			d.log.Warn("token needs renewing: "+w, "account", id, "expires_at", ident.Expires)
		}
	}
}

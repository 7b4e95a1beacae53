package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/herald"
)

// tokenWarning is how long before a token's expiry `herald accounts` warns
// (as the dispatcher and /readyz do).
const tokenWarning = 7 * 24 * time.Hour

// Account statuses.
const (
	acctOK            = "ok"
	acctPaused        = "paused"
	acctHeld          = "held"
	acctBudget        = "budget"
	acctNotConfigured = "not configured"
)

// accountRow is one account as `herald accounts` shows it. Money is in US
// dollars.
type accountRow struct {
	ID             string     `json:"id"`
	Network        string     `json:"network"`
	Credentials    string     `json:"credentials,omitempty"` // config, env, connected, sandbox or none
	Status         string     `json:"status"`                // ok, paused, held, budget, not configured
	PauseReason    string     `json:"pause_reason"`
	HoldUntil      *time.Time `json:"hold_until"`
	HoldReason     string     `json:"hold_reason"`
	SentToday      int        `json:"sent_today"` // since 00:00 UTC
	LastSentAt     *time.Time `json:"last_sent_at"`
	MonthSpend     float64    `json:"month_spend"`    // this calendar month (UTC)
	MonthlyBudget  float64    `json:"monthly_budget"` // 0: none
	PendingJobs    int        `json:"pending_jobs"`
	TokenExpiresAt *time.Time `json:"token_expires_at"`
	Warnings       []string   `json:"warnings"`
}

func newAccountsCmd(a *App) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "Show each account: status, posts today, month-to-date spend, budget, queue, token expiry",
		Long: `Show every account Herald posts to: whether it is sending (ok), paused after
an authentication error (resume it with 'herald accounts resume ID' once the
credentials are fixed), held (a rate limit or spacing, until when), or out of
its monthly budget; the posts sent today (UTC), the money spent on API calls
this calendar month against the budget, the jobs waiting, and when its token
expires (warned 7 days ahead), and where its credentials come from: config,
env (a HERALD_* variable), connected ('herald accounts connect'), sandbox, or
none.

'herald accounts check' asks each network who the credentials belong to.`,
		Example: "  herald accounts\n  herald accounts --format json\n  herald accounts check\n  herald accounts resume fb_page",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.listAccounts(cmd.Context(), format)
		},
	}
	addFormatFlag(cmd, &format)
	list := &cobra.Command{
		Use:   "list",
		Short: "Show each account (the same as herald accounts)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.listAccounts(cmd.Context(), format)
		},
	}
	addFormatFlag(list, &format)
	cmd.AddCommand(list, newAccountsCheckCmd(a), newAccountsResumeCmd(a),
		newAccountsConnectCmd(a), newAccountsDisconnectCmd(a))
	return cmd
}

func (a *App) listAccounts(ctx context.Context, format string) error {
	if err := checkFormat(format); err != nil {
		return err
	}
	a.anyCredentials = true // an account not connected yet is listed as such
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	return a.readStore(ctx, func(st herald.Store) error { return a.writeAccounts(ctx, cfg, st, format) })
}

// writeAccounts writes the accounts in the store with their configuration.
func (a *App) writeAccounts(ctx context.Context, cfg *config.Config, st herald.Store, format string) error {
	now := a.now()
	list, err := st.ListAccounts(ctx, now)
	if err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}
	rows := make([]accountRow, 0, len(list))
	for _, acct := range list {
		r := newAccountRow(cfg, acct, now)
		if r.Credentials, err = credentialOrigin(ctx, cfg, st, acct.ID); err != nil {
			return err
		}
		rows = append(rows, r)
	}
	return writeRows(a, format, "accounts", rows, accountColumns(now), "No accounts are configured (accounts: in the configuration).")
}

// newAccountRow joins an account's state with its configuration.
func newAccountRow(cfg *config.Config, acct herald.Account, now time.Time) accountRow {
	c, configured := cfg.Accounts[acct.ID]
	r := accountRow{ID: acct.ID, Network: string(acct.Network), PauseReason: acct.PauseReason, HoldReason: acct.HoldReason,
		SentToday: acct.SentToday, LastSentAt: utcPtr(acct.LastSentAt), MonthSpend: acct.MonthSpend.Dollars(),
		MonthlyBudget: c.Cost.MonthlyBudget, PendingJobs: acct.PendingJobs, TokenExpiresAt: utcPtr(acct.TokenExpiresAt),
		Warnings: []string{}}
	if acct.HoldUntil.After(now) {
		r.HoldUntil = utcPtr(acct.HoldUntil)
	} else {
		r.HoldReason = ""
	}
	postCost := dispatch.Dollars(max(c.Cost.PostWithLink, c.Cost.Post))
	budget := dispatch.Dollars(c.Cost.MonthlyBudget)
	overBudget := budget > 0 && acct.MonthSpend+postCost > budget
	switch {
	case !configured:
		r.Status = acctNotConfigured
	case acct.Paused:
		r.Status = acctPaused
		r.Warnings = append(r.Warnings, "paused: "+acct.PauseReason)
	case r.HoldUntil != nil:
		r.Status = acctHeld
	case overBudget:
		r.Status = acctBudget
	default:
		r.Status = acctOK
	}
	if overBudget {
		r.Warnings = append(r.Warnings, "monthly budget reached: posts wait for next month")
	}
	if exp := acct.TokenExpiresAt; !exp.IsZero() {
		switch {
		case !exp.After(now):
			r.Warnings = append(r.Warnings, "token expired "+ago(exp, now))
		case exp.Sub(now) <= tokenWarning:
			r.Warnings = append(r.Warnings, "token expires "+ago(exp, now))
		}
	}
	return r
}

func accountColumns(now time.Time) []column[accountRow] {
	return []column[accountRow]{
		{head: "ACCOUNT", cell: func(r accountRow) string { return r.ID }},
		{head: "NETWORK", cell: func(r accountRow) string { return r.Network }},
		{head: "CREDENTIALS", cell: func(r accountRow) string { return r.Credentials },
			color: func(r accountRow) string { return iff(r.Credentials == originNone, "31") }},
		{head: "STATUS", flex: true, cell: func(r accountRow) string {
			switch r.Status {
			case acctPaused:
				return "paused (" + r.PauseReason + ")"
			case acctHeld:
				return "held for " + short(r.HoldUntil.Sub(now)) + " (" + r.HoldReason + ")"
			}
			return r.Status
		}, color: func(r accountRow) string {
			return map[string]string{acctOK: "32", acctPaused: "31", acctHeld: "33", acctBudget: "31", acctNotConfigured: "2"}[r.Status]
		}},
		{head: "SENT TODAY", right: true, cell: func(r accountRow) string { return strconv.Itoa(r.SentToday) }},
		{head: "SPENT (MONTH)", right: true, cell: func(r accountRow) string { return usd(r.MonthSpend) }},
		{head: "BUDGET", right: true, cell: func(r accountRow) string {
			if r.MonthlyBudget <= 0 {
				return "-"
			}
			return usd(r.MonthlyBudget)
		}},
		{head: "PENDING", right: true, cell: func(r accountRow) string { return strconv.Itoa(r.PendingJobs) }},
		{head: "TOKEN EXPIRES", cell: func(r accountRow) string { return when(r.TokenExpiresAt, now) },
			color: func(r accountRow) string {
				return iff(r.TokenExpiresAt != nil && r.TokenExpiresAt.Sub(now) <= tokenWarning, "31")
			}},
	}
}

// usd formats dollars with cents, and tenths of a cent when there are any
// (a read costs $0.005).
func usd(d float64) string { return "$" + strconv.FormatFloat(d, 'f', 2, 64) }

// checkRow is one account's answer to `herald accounts check`.
type checkRow struct {
	Account   string     `json:"account"`
	Network   string     `json:"network"`
	OK        bool       `json:"ok"`
	UserID    string     `json:"user_id"`    // who the credentials are (X user, Page)
	Name      string     `json:"name"`       // @handle or Page name
	ExpiresAt *time.Time `json:"expires_at"` // the token's expiry, when the network says
	Warnings  []string   `json:"warnings"`
	ErrorKind string     `json:"error_kind"` // auth, permission, rate_limited, retryable, ...
	Error     string     `json:"error"`      // the classified error, never a secret
	// Credentials says where they come from; Fix what to do (connect_check.go).
	Credentials string `json:"credentials"`
	Fix         string `json:"fix"`

	detail  string // the error as the table shows it: status, code, the API's words
	problem string // what is wrong, in full, for the fixes under the table
}

func newAccountsCheckCmd(a *App) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "check [ID...]",
		Short: "Ask each network who each account's credentials are; exit 1 if any fails",
		Long: `Call each account's identity endpoint (X: GET /2/users/me; Facebook: GET /me
and debug_token) with its configured credentials and show who they belong
to, when the token expires, and any warning; or the network's classified
error (auth: the credentials are wrong, expired or revoked). Nothing is
posted. The exit status is 1 when any account fails. A token's expiry is
recorded, so 'herald accounts' and /readyz show it.`,
		Example: "  herald accounts check\n  herald accounts check fb_page --format json",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return a.checkAccounts(cmd.Context(), args, format)
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func (a *App) checkAccounts(ctx context.Context, named []string, format string) error {
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	ids, err := pickAccounts(cfg, named, "check")
	if err != nil {
		return err
	}
	st, pubs, done, err := a.openPublishers(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	rows := make([]checkRow, len(ids))
	var mu sync.Mutex // the store records expiries one at a time
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, id := range ids {
		g.Go(func() error {
			rows[i] = checkOne(gctx, pubs[id], id, cfg.Dispatch.Timeout)
			diagnose(gctx, cfg, st, &rows[i])
			if exp := rows[i].ExpiresAt; exp != nil {
				mu.Lock()
				defer mu.Unlock()
				if err := st.SetTokenExpiry(gctx, id, *exp); err != nil {
					a.Logger().Warn("record token expiry", "account", id, "error", err)
				}
			}
			return nil
		})
	}
	_ = g.Wait() // checkOne reports failures in its row
	if err := writeRows(a, format, "checks", rows, checkColumns(a.now()), ""); err != nil {
		return err
	}
	if format == "table" {
		if err := writeFixes(a.Out(), rows); err != nil {
			return err
		}
	}
	failed := 0
	for _, r := range rows {
		if !r.OK {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %s failed the check", failed, plural(len(rows), "account", "accounts"))
	}
	return nil
}

// checkOne asks one publisher who it is, within timeout.
func checkOne(ctx context.Context, pub herald.Publisher, id string, timeout time.Duration) checkRow {
	r := checkRow{Account: id, Network: string(pub.Network()), Warnings: []string{}}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	ident, err := pub.Check(ctx)
	if err != nil {
		r.ErrorKind, r.Error, r.detail = string(herald.KindOf(err)), err.Error(), err.Error()
		var he *herald.Error
		if errors.As(err, &he) && he.Message != "" {
			r.detail = he.Message
			switch {
			case he.Status != 0 && he.Code != 0:
				r.detail = fmt.Sprintf("HTTP %d, code %d: %s", he.Status, he.Code, he.Message)
			case he.Status != 0:
				r.detail = fmt.Sprintf("HTTP %d: %s", he.Status, he.Message)
			case he.Code != 0:
				r.detail = fmt.Sprintf("code %d: %s", he.Code, he.Message)
			}
		}
		return r
	}
	r.OK, r.UserID, r.Name, r.ExpiresAt = true, ident.ID, ident.Name, utcPtr(ident.Expires)
	r.Warnings = append(r.Warnings, ident.Warnings...)
	return r
}

func checkColumns(now time.Time) []column[checkRow] {
	return []column[checkRow]{
		{head: "ACCOUNT", cell: func(r checkRow) string { return r.Account }},
		{head: "NETWORK", cell: func(r checkRow) string { return r.Network }},
		{head: "STATUS", cell: func(r checkRow) string {
			if r.OK {
				return "ok"
			}
			return "failed: " + r.ErrorKind
		}, color: func(r checkRow) string { return map[bool]string{true: "32", false: "31"}[r.OK] }},
		{head: "IDENTITY", cell: func(r checkRow) string {
			if r.UserID == "" {
				return "-"
			}
			return strings.TrimSpace(r.Name + " (" + r.UserID + ")")
		}},
		{head: "TOKEN EXPIRES", cell: func(r checkRow) string {
			if r.OK && r.ExpiresAt == nil {
				return "never"
			}
			return when(r.ExpiresAt, now)
		}},
		{head: "DETAIL", flex: true, cell: func(r checkRow) string {
			if r.detail != "" {
				return r.detail
			}
			return dash(strings.Join(r.Warnings, "; "))
		}, color: func(r checkRow) string { return iff(r.Error != "" || len(r.Warnings) > 0, "31") }},
	}
}

func newAccountsResumeCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "resume ID",
		Short: "Resume a paused or held account: its waiting posts go out again",
		Long: `Lift an account's pause (set after an authentication error, once its
credentials are fixed) and any hold (a rate limit): the jobs that waited for
it are sent by the running daemon, spaced as usual. Nothing was lost while it
was paused. A daemon running this configuration is told to read it again
(as herald reload does), so it sends with the current credentials.`,
		Example: "  herald accounts resume fb_page",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, id := cmd.Context(), args[0]
			st, err := a.OpenStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			acct, err := st.GetAccount(ctx, id)
			if errors.Is(err, herald.ErrNotFound) {
				cfg, _ := a.Config()
				return fmt.Errorf("no account is named %q (accounts: %s)", id, strings.Join(accountIDs(cfg), ", "))
			}
			if err != nil {
				return fmt.Errorf("get account: %w", err)
			}
			now := a.now()
			held := acct.HoldUntil.After(now)
			if !acct.Paused && !held {
				_, err := fmt.Fprintf(a.Out(), "%s is neither paused nor held: nothing to resume.\n", id)
				return err
			}
			if err := st.ResumeAccount(ctx, id); err != nil {
				return fmt.Errorf("resume account: %w", err)
			}
			was := "held until " + acct.HoldUntil.UTC().Format(time.RFC3339) + " (" + acct.HoldReason + ")"
			if acct.Paused {
				was = "paused: " + acct.PauseReason
			}
			counts, err := st.CountJobs(ctx, id)
			if err != nil {
				return fmt.Errorf("count jobs: %w", err)
			}
			if _, err := fmt.Fprintf(a.Out(), "Resumed %s (was %s). %s with the next dispatch (herald run).\n",
				id, cleanCell(was), plural(counts[herald.JobPending], "pending job goes out", "pending jobs go out")); err != nil {
				return err
			}
			// A running daemon reads the configuration again, so it sends
			// with the account's current credentials.
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			info, err := signalReload(ctx, cfg, reloadWait)
			switch {
			case errors.Is(err, errNoDaemon):
				return nil
			case err != nil:
				return fmt.Errorf("resumed, but the daemon did not take the current credentials: %w", err)
			}
			_, err = fmt.Fprintf(a.Out(), "The daemon (pid %d) reloaded %s: it sends with the current credentials.\n",
				info.PID, dash(info.Config))
			return err
		},
	}
}

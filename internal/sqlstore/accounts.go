package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// accountCols reads an account row as acct; the last sending time is the
// newest of the account's entries in jobs_sent, so that finishing a job
// never waits on the account's row (which claims lock).
func (d *Dialect) accountCols() string {
	return `acct.id, acct.network, acct.paused, acct.pause_reason, acct.hold_until, acct.hold_reason,
	(SELECT max(sent_at) FROM jobs` + d.IndexedBy("jobs_sent") + ` WHERE account_id = acct.id AND state = 'sent'),
	acct.token_expires_at`
}

func scanAccount(row Row, extra ...any) (herald.Account, error) {
	var a herald.Account
	dest := append([]any{&a.ID, &a.Network, &a.Paused, &a.PauseReason, TM(&a.HoldUntil), &a.HoldReason,
		TM(&a.LastSentAt), TM(&a.TokenExpiresAt)}, extra...)
	return a, row.Scan(dest...)
}

// SyncAccounts creates the configured accounts that do not exist yet and
// records each one's network (on its jobs too, if it changed).
func (s *Store) SyncAccounts(ctx context.Context, accounts []herald.Account) error {
	now := time.Now().UnixMilli()
	err := s.b.Write(ctx, RetryUnique, func(q Querier) error {
		for _, a := range accounts {
			var network herald.Network
			err := q.QueryRow(ctx, `SELECT network FROM accounts WHERE id = ?`, a.ID).Scan(&network)
			switch {
			case errors.Is(err, ErrNoRows):
				_, err = q.Exec(ctx, `INSERT INTO accounts (id, network, created_at) VALUES (?, ?, ?)
					ON CONFLICT (id) DO NOTHING`, a.ID, string(a.Network), now)
			case err == nil && network != a.Network && a.Network != "":
				if _, err = q.Exec(ctx, `UPDATE accounts SET network = ? WHERE id = ?`, string(a.Network), a.ID); err == nil {
					_, err = q.Exec(ctx, `UPDATE jobs SET network = ? WHERE account_id = ?`, string(a.Network), a.ID)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap("sync accounts", err)
}

// GetAccount returns an account's state (without the ListAccounts figures).
func (s *Store) GetAccount(ctx context.Context, id string) (herald.Account, error) {
	a, err := scanAccount(s.b.Reader().QueryRow(ctx, `SELECT `+s.d.accountCols()+` FROM accounts acct WHERE acct.id = ?`, id))
	return a, s.wrap("get account "+id, err)
}

// ListAccountsSQL lists every account with its jobs sent since ?1, its
// spend since ?2 and its pending jobs.
func (d *Dialect) ListAccountsSQL() string {
	return `SELECT ` + d.accountCols() + `,
		(SELECT count(*) FROM jobs j` + d.IndexedBy("jobs_sent") + ` WHERE j.account_id = acct.id AND j.state = 'sent' AND j.sent_at >= ?1),
		(SELECT ` + d.Int(`coalesce(sum(amount), 0)`) + ` FROM charges c WHERE c.account_id = acct.id AND c.at >= ?2),
		(SELECT count(*) FROM jobs j` + d.IndexedBy("jobs_pending") + ` WHERE j.account_id = acct.id AND j.state = 'pending')
		FROM accounts acct ORDER BY acct.id`
}

// ListAccounts returns every account by ID with SentToday, MonthSpend and
// PendingJobs as of now (UTC day and month).
func (s *Store) ListAccounts(ctx context.Context, now time.Time) ([]herald.Account, error) {
	u := now.UTC()
	day := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	month := time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC)
	rows, err := s.b.Reader().Query(ctx, s.d.ListAccountsSQL(), day.UnixMilli(), month.UnixMilli())
	if err != nil {
		return nil, s.wrap("list accounts", err)
	}
	out, err := Collect(rows, func(r Row) (herald.Account, error) {
		var sent, pending int
		var spend int64
		a, err := scanAccount(r, &sent, &spend, &pending)
		a.SentToday, a.MonthSpend, a.PendingJobs = sent, herald.Money(spend), pending
		return a, err
	})
	return out, s.wrap("list accounts", err)
}

// PauseAccount pauses an account (its jobs stay pending) with a reason.
func (s *Store) PauseAccount(ctx context.Context, id, reason string) error {
	return s.updateOne(ctx, "pause account "+id,
		`UPDATE accounts SET paused = `+s.d.True+`, pause_reason = ? WHERE id = ?`, reason, id)
}

// ResumeAccount lifts a pause and any hold.
func (s *Store) ResumeAccount(ctx context.Context, id string) error {
	return s.updateOne(ctx, "resume account "+id, `UPDATE accounts SET paused = `+s.d.False+`, pause_reason = '',
		hold_until = NULL, hold_reason = '' WHERE id = ?`, id)
}

// HoldAccount keeps an account from sending before until; it never shortens
// an existing hold (nor changes its reason then).
func (s *Store) HoldAccount(ctx context.Context, id string, until time.Time, reason string) error {
	return s.updateOne(ctx, "hold account "+id, `UPDATE accounts SET
		hold_reason = CASE WHEN coalesce(hold_until, 0) < ?1 THEN ?2 ELSE hold_reason END,
		hold_until = `+s.d.Greatest+`(coalesce(hold_until, 0), ?1) WHERE id = ?3`, until.UnixMilli(), reason, id)
}

// SetTokenExpiry records when an account's token expires (zero: never/unknown).
func (s *Store) SetTokenExpiry(ctx context.Context, id string, at time.Time) error {
	return s.updateOne(ctx, "set token expiry "+id,
		`UPDATE accounts SET token_expires_at = ? WHERE id = ?`, MS(at), id)
}

// LoadToken returns an account's stored OAuth 2.0 token (ErrNotFound if none).
func (s *Store) LoadToken(ctx context.Context, account string) (herald.Token, error) {
	var t herald.Token
	err := s.b.Reader().QueryRow(ctx, `SELECT oauth_access, oauth_refresh, oauth_expiry FROM accounts
		WHERE id = ? AND (oauth_access <> '' OR oauth_refresh <> '')`, account).
		Scan(&t.AccessToken, &t.RefreshToken, TM(&t.Expiry))
	return t, s.wrap("load token of "+account, err)
}

// SaveToken stores an OAuth 2.0 token pair, replacing the previous one.
func (s *Store) SaveToken(ctx context.Context, account string, t herald.Token) error {
	_, err := s.b.Exec(ctx, `INSERT INTO accounts (id, oauth_access, oauth_refresh, oauth_expiry, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET oauth_access = excluded.oauth_access,
		oauth_refresh = excluded.oauth_refresh, oauth_expiry = excluded.oauth_expiry`,
		account, t.AccessToken, t.RefreshToken, MS(t.Expiry), time.Now().UnixMilli())
	return s.wrap("save token of "+account, err)
}

// RecordCharge adds a billable call to the ledger; a read of a post already
// charged to the account on the same UTC day is not recorded again, also
// when two instances record it at the same moment.
func (s *Store) RecordCharge(ctx context.Context, c herald.Charge) (bool, error) {
	if c.Account == "" || c.Kind == "" {
		return false, fmt.Errorf("%s: record charge: account and kind are required", s.d.Name)
	}
	st := ChargeStmt(c, time.Now())
	n, err := s.b.Exec(ctx, st.SQL, st.Args...)
	return n == 1, s.wrap("record charge", err)
}

// ChargeStmt is the statement that adds c to the ledger (at now when c has
// no time) unless it is a read already charged that UTC day.
func ChargeStmt(c herald.Charge, now time.Time) Stmt {
	at := c.At
	if at.IsZero() {
		at = now
	}
	return Stmt{SQL: `INSERT INTO charges (account_id, kind, remote_id, day, amount, at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, remote_id, day) WHERE kind = 'read' AND remote_id <> '' DO NOTHING`,
		Args: []any{c.Account, c.Kind, c.RemoteID, FloorDiv(at.UnixMilli(), DayMS), int64(c.Amount), at.UnixMilli()}}
}

// Spend sums an account's ledger (every account's for "") at or after since.
func (s *Store) Spend(ctx context.Context, account string, since time.Time) (herald.Money, error) {
	var m int64
	var err error
	sum := s.d.Int(`coalesce(sum(amount), 0)`)
	if account == "" {
		err = s.b.Reader().QueryRow(ctx, `SELECT `+sum+` FROM charges WHERE at >= ?`, since.UnixMilli()).Scan(&m)
	} else {
		err = s.b.Reader().QueryRow(ctx, `SELECT `+sum+` FROM charges WHERE account_id = ? AND at >= ?`,
			account, since.UnixMilli()).Scan(&m)
	}
	return herald.Money(m), s.wrap(fmt.Sprintf("spend of %q", account), err)
}

// TryLock takes the named lease for owner until now+lease, or renews it if
// owner holds it; it fails (false) while another owner's lease runs. The
// upsert is atomic, so of instances trying at once exactly one wins.
func (s *Store) TryLock(ctx context.Context, name, owner string, now time.Time, lease time.Duration) (bool, error) {
	if owner == "" {
		return false, s.wrap("try lock "+name, errNoOwner)
	}
	n, err := s.b.Exec(ctx, `INSERT INTO locks (name, owner, until) VALUES (?1, ?2, ?3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE locks.owner = excluded.owner OR locks.until <= ?4`,
		name, owner, now.Add(DefaultLease(lease)).UnixMilli(), now.UnixMilli())
	return n == 1, s.wrap("try lock "+name, err)
}

// Unlock gives up owner's lease on the named lock, so another instance may
// take it at once; it does nothing when owner does not hold it.
func (s *Store) Unlock(ctx context.Context, name, owner string) error {
	if owner == "" {
		return s.wrap("unlock "+name, errNoOwner)
	}
	_, err := s.b.Exec(ctx, `DELETE FROM locks WHERE name = ? AND owner = ?`, name, owner)
	return s.wrap("unlock "+name, err)
}

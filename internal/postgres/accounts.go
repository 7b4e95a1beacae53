package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
)

// accountCols reads an account row as acct; the last sending time is the
// newest of the account's entries in jobs_sent, so that finishing a job
// never waits on the account's row (which claims lock).
const accountCols = `acct.id, acct.network, acct.paused, acct.pause_reason, acct.hold_until, acct.hold_reason,
	(SELECT max(sent_at) FROM jobs WHERE account_id = acct.id AND state = 'sent'), acct.token_expires_at`

func scanAccount(row pgx.Row, extra ...any) (herald.Account, error) {
	var a herald.Account
	dest := append([]any{&a.ID, &a.Network, &a.Paused, &a.PauseReason, tm(&a.HoldUntil), &a.HoldReason,
		tm(&a.LastSentAt), tm(&a.TokenExpiresAt)}, extra...)
	return a, row.Scan(dest...)
}

// SyncAccounts creates the configured accounts that do not exist yet and
// records each one's network (on its jobs too, if it changed).
func (db *DB) SyncAccounts(ctx context.Context, accounts []herald.Account) error {
	now := time.Now().UnixMilli()
	err := db.write(ctx, retryUnique, func(tx pgx.Tx) error {
		for _, a := range accounts {
			var network herald.Network
			err := tx.QueryRow(ctx, `SELECT network FROM accounts WHERE id = $1`, a.ID).Scan(&network)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				_, err = tx.Exec(ctx, `INSERT INTO accounts (id, network, created_at) VALUES ($1, $2, $3)
					ON CONFLICT (id) DO NOTHING`,
					a.ID, string(a.Network), now)
			case err == nil && network != a.Network && a.Network != "":
				if _, err = tx.Exec(ctx, `UPDATE accounts SET network = $1 WHERE id = $2`, string(a.Network), a.ID); err == nil {
					_, err = tx.Exec(ctx, `UPDATE jobs SET network = $1 WHERE account_id = $2`, string(a.Network), a.ID)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("sync accounts", err)
}

// GetAccount returns an account's state (without the ListAccounts figures).
func (db *DB) GetAccount(ctx context.Context, id string) (herald.Account, error) {
	a, err := scanAccount(db.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts acct WHERE acct.id = $1`, id))
	return a, wrap("get account "+id, err)
}

// ListAccounts returns every account by ID with SentToday, MonthSpend and
// PendingJobs as of now (UTC day and month).
func (db *DB) ListAccounts(ctx context.Context, now time.Time) ([]herald.Account, error) {
	u := now.UTC()
	day := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	month := time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC)
	rows, err := db.pool.Query(ctx, `SELECT `+accountCols+`,
		(SELECT count(*) FROM jobs j WHERE j.account_id = acct.id AND j.state = 'sent' AND j.sent_at >= $1),
		(SELECT coalesce(sum(amount), 0)::bigint FROM charges c WHERE c.account_id = acct.id AND c.at >= $2),
		(SELECT count(*) FROM jobs j WHERE j.account_id = acct.id AND j.state = 'pending')
		FROM accounts acct ORDER BY acct.id`, day.UnixMilli(), month.UnixMilli())
	if err != nil {
		return nil, wrap("list accounts", err)
	}
	defer rows.Close()
	var out []herald.Account
	for rows.Next() {
		var sent, pending int
		var spend int64
		a, err := scanAccount(rows, &sent, &spend, &pending)
		if err != nil {
			return nil, wrap("list accounts", err)
		}
		a.SentToday, a.MonthSpend, a.PendingJobs = sent, herald.Money(spend), pending
		out = append(out, a)
	}
	return out, wrap("list accounts", rows.Err())
}

// updateAccount runs an UPDATE of one account, ErrNotFound if there is none.
func (db *DB) updateAccount(ctx context.Context, op, id, query string, args ...any) error {
	tag, err := db.pool.Exec(ctx, query, args...)
	if err == nil && tag.RowsAffected() == 0 {
		err = herald.ErrNotFound
	}
	return wrap(op+" "+id, err)
}

// PauseAccount pauses an account (its jobs stay pending) with a reason.
func (db *DB) PauseAccount(ctx context.Context, id, reason string) error {
	return db.updateAccount(ctx, "pause account", id,
		`UPDATE accounts SET paused = true, pause_reason = $1 WHERE id = $2`, reason, id)
}

// ResumeAccount lifts a pause and any hold.
func (db *DB) ResumeAccount(ctx context.Context, id string) error {
	return db.updateAccount(ctx, "resume account", id, `UPDATE accounts SET paused = false, pause_reason = '',
		hold_until = NULL, hold_reason = '' WHERE id = $1`, id)
}

// HoldAccount keeps an account from sending before until; it never shortens
// an existing hold (nor changes its reason then).
func (db *DB) HoldAccount(ctx context.Context, id string, until time.Time, reason string) error {
	return db.updateAccount(ctx, "hold account", id, `UPDATE accounts SET
		hold_reason = CASE WHEN coalesce(hold_until, 0) < $1 THEN $2 ELSE hold_reason END,
		hold_until = greatest(coalesce(hold_until, 0), $1) WHERE id = $3`, until.UnixMilli(), reason, id)
}

// SetTokenExpiry records when an account's token expires (zero: never/unknown).
func (db *DB) SetTokenExpiry(ctx context.Context, id string, at time.Time) error {
	return db.updateAccount(ctx, "set token expiry", id,
		`UPDATE accounts SET token_expires_at = $1 WHERE id = $2`, ms(at), id)
}

// LoadToken returns an account's stored OAuth 2.0 token (ErrNotFound if none).
func (db *DB) LoadToken(ctx context.Context, account string) (herald.Token, error) {
	var t herald.Token
	err := db.pool.QueryRow(ctx, `SELECT oauth_access, oauth_refresh, oauth_expiry FROM accounts
		WHERE id = $1 AND (oauth_access <> '' OR oauth_refresh <> '')`, account).
		Scan(&t.AccessToken, &t.RefreshToken, tm(&t.Expiry))
	return t, wrap("load token of "+account, err)
}

// SaveToken stores an OAuth 2.0 token pair, replacing the previous one.
func (db *DB) SaveToken(ctx context.Context, account string, t herald.Token) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO accounts (id, oauth_access, oauth_refresh, oauth_expiry, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET oauth_access = excluded.oauth_access,
		oauth_refresh = excluded.oauth_refresh, oauth_expiry = excluded.oauth_expiry`,
		account, t.AccessToken, t.RefreshToken, ms(t.Expiry), time.Now().UnixMilli())
	return wrap("save token of "+account, err)
}

const dayMS = int64(24 * time.Hour / time.Millisecond)

// RecordCharge adds a billable call to the ledger; a read of a post already
// charged to the account on the same UTC day is not recorded again, also
// when two instances record it at the same moment.
func (db *DB) RecordCharge(ctx context.Context, c herald.Charge) (bool, error) {
	if c.Account == "" || c.Kind == "" {
		return false, errors.New("postgres: record charge: account and kind are required")
	}
	r, _ := chargeRow(&c, time.Now())
	tag, err := db.pool.Exec(ctx, `INSERT INTO charges (account_id, kind, remote_id, day, amount, at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (account_id, remote_id, day) WHERE kind = 'read' AND remote_id <> '' DO NOTHING`,
		r.Account, r.Kind, r.RemoteID, r.day, int64(r.Amount), r.at)
	if err != nil {
		return false, wrap("record charge", err)
	}
	return tag.RowsAffected() == 1, nil
}

// charge is a ledger row: the charge with its time (now when it has none)
// in milliseconds and its UTC day.
type charge struct {
	herald.Charge
	day, at int64
}

// chargeRow is c as a row; ok is false for a nil c.
func chargeRow(c *herald.Charge, now time.Time) (r charge, ok bool) {
	if c == nil {
		return charge{}, false
	}
	at := c.At
	if at.IsZero() {
		at = now
	}
	return charge{Charge: *c, day: floorDiv(at.UnixMilli(), dayMS), at: at.UnixMilli()}, true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Spend sums an account's ledger (every account's for "") at or after since.
func (db *DB) Spend(ctx context.Context, account string, since time.Time) (herald.Money, error) {
	var m int64
	var err error
	if account == "" {
		err = db.pool.QueryRow(ctx, `SELECT coalesce(sum(amount), 0)::bigint FROM charges WHERE at >= $1`,
			since.UnixMilli()).Scan(&m)
	} else {
		err = db.pool.QueryRow(ctx, `SELECT coalesce(sum(amount), 0)::bigint FROM charges WHERE account_id = $1 AND at >= $2`,
			account, since.UnixMilli()).Scan(&m)
	}
	return herald.Money(m), wrap(fmt.Sprintf("spend of %q", account), err)
}

// TryLock takes the named lease for owner until now+lease, or renews it if
// owner holds it; it fails (false) while another owner's lease runs. The
// upsert is atomic, so of instances trying at once exactly one wins.
func (db *DB) TryLock(ctx context.Context, name, owner string, now time.Time, lease time.Duration) (bool, error) {
	if owner == "" {
		return false, errors.New("postgres: try lock: no owner")
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO locks (name, owner, until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE locks.owner = excluded.owner OR locks.until <= $4`,
		name, owner, now.Add(defaultLease(lease)).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, wrap("try lock "+name, err)
	}
	return tag.RowsAffected() == 1, nil
}

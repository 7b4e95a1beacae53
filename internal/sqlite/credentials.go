package sqlite

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var _ herald.CredentialStore = (*DB)(nil)

// SaveCredentials stores an account's connected credentials with a version
// above the previous one (and at least the time in milliseconds, so a set
// deleted and saved again still gets a new version).
func (db *DB) SaveCredentials(ctx context.Context, c herald.Credentials) (int64, error) {
	secrets, public, err := herald.EncodeCredentials(c)
	if err != nil {
		return 0, wrap("save credentials of "+c.Account, err)
	}
	now := time.Now().UnixMilli()
	var v int64
	err = db.w.QueryRowContext(ctx, `INSERT INTO credentials (account_id, network, method, secrets, public,
		expires_at, updated_at, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
		ON CONFLICT (account_id) DO UPDATE SET network = excluded.network, method = excluded.method,
		secrets = excluded.secrets, public = excluded.public, expires_at = excluded.expires_at,
		updated_at = excluded.updated_at, version = max(credentials.version + 1, excluded.version)
		RETURNING version`,
		c.Account, string(c.Network), c.Method, secrets, public, ms(c.Expiry), now).Scan(&v)
	return v, wrap("save credentials of "+c.Account, err)
}

// LoadCredentials returns an account's connected credentials.
func (db *DB) LoadCredentials(ctx context.Context, account string) (herald.Credentials, error) {
	c := herald.Credentials{Account: account}
	var secrets, public string
	err := db.r.QueryRowContext(ctx, `SELECT network, method, secrets, public, expires_at, updated_at, version
		FROM credentials WHERE account_id = ? AND method <> ''`, account).
		Scan(&c.Network, &c.Method, &secrets, &public, tm(&c.Expiry), tm(&c.UpdatedAt), &c.Version)
	if err == nil {
		err = herald.DecodeCredentials(&c, secrets, public)
	}
	return c, wrap("load credentials of "+account, err)
}

// CredentialsVersion returns the version of an account's credentials (0:
// never connected); forgetting them changes it too.
func (db *DB) CredentialsVersion(ctx context.Context, account string) (int64, error) {
	var v int64
	err := db.r.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM credentials WHERE account_id = ?`,
		account).Scan(&v)
	return v, wrap("credentials version of "+account, err)
}

// DeleteCredentials forgets an account's credentials and stored token. The
// row stays, emptied, with a new version: a running publisher notices.
func (db *DB) DeleteCredentials(ctx context.Context, account string) error {
	var n int64
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE credentials SET method = '', secrets = '{}', public = '{}',
			expires_at = NULL, updated_at = ?1, version = version + 1 WHERE account_id = ?2 AND method <> ''`,
			time.Now().UnixMilli(), account)
		if err != nil {
			return err
		}
		a, _ := res.RowsAffected()
		res, err = tx.ExecContext(ctx, `UPDATE accounts SET oauth_access = '', oauth_refresh = '', oauth_expiry = NULL
			WHERE id = ? AND (oauth_access <> '' OR oauth_refresh <> '')`, account)
		if err != nil {
			return err
		}
		b, _ := res.RowsAffected()
		n = a + b
		return nil
	})
	if err == nil && n == 0 {
		err = herald.ErrNotFound
	}
	return wrap("delete credentials of "+account, err)
}

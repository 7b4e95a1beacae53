package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
)

var _ herald.CredentialStore = (*DB)(nil)

// SaveCredentials stores an account's connected credentials with a version
// above the previous one (and at least the time in milliseconds, so a set
// deleted and saved again still gets a new version). Synchronous commit: a
// rotated token must not be lost.
func (db *DB) SaveCredentials(ctx context.Context, c herald.Credentials) (int64, error) {
	secrets, public, err := herald.EncodeCredentials(c)
	if err != nil {
		return 0, wrap("save credentials of "+c.Account, err)
	}
	var v int64
	err = db.pool.QueryRow(ctx, `INSERT INTO credentials (account_id, network, method, secrets, public,
		expires_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT (account_id) DO UPDATE SET network = excluded.network, method = excluded.method,
		secrets = excluded.secrets, public = excluded.public, expires_at = excluded.expires_at,
		updated_at = excluded.updated_at, version = greatest(credentials.version + 1, excluded.version)
		RETURNING version`,
		c.Account, string(c.Network), c.Method, secrets, public, ms(c.Expiry), time.Now().UnixMilli()).Scan(&v)
	return v, wrap("save credentials of "+c.Account, err)
}

// LoadCredentials returns an account's connected credentials.
func (db *DB) LoadCredentials(ctx context.Context, account string) (herald.Credentials, error) {
	c := herald.Credentials{Account: account}
	var network, secrets, public string
	err := db.pool.QueryRow(ctx, `SELECT network, method, secrets, public, expires_at, updated_at, version
		FROM credentials WHERE account_id = $1 AND method <> ''`, account).
		Scan(&network, &c.Method, &secrets, &public, tm(&c.Expiry), tm(&c.UpdatedAt), &c.Version)
	if err == nil {
		c.Network = herald.Network(network)
		err = herald.DecodeCredentials(&c, secrets, public)
	}
	return c, wrap("load credentials of "+account, err)
}

// CredentialsVersion returns the version of an account's credentials (0:
// never connected); forgetting them changes it too.
func (db *DB) CredentialsVersion(ctx context.Context, account string) (int64, error) {
	var v int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM credentials WHERE account_id = $1`,
		account).Scan(&v)
	return v, wrap("credentials version of "+account, err)
}

// DeleteCredentials forgets an account's credentials and stored token. The
// row stays, emptied, with a new version: a running publisher notices.
func (db *DB) DeleteCredentials(ctx context.Context, account string) error {
	var n int64
	err := db.write(ctx, 0, func(tx pgx.Tx) error {
		a, err := tx.Exec(ctx, `UPDATE credentials SET method = '', secrets = '{}', public = '{}',
			expires_at = NULL, updated_at = $1, version = version + 1 WHERE account_id = $2 AND method <> ''`,
			time.Now().UnixMilli(), account)
		if err != nil {
			return err
		}
		b, err := tx.Exec(ctx, `UPDATE accounts SET oauth_access = '', oauth_refresh = '', oauth_expiry = NULL
			WHERE id = $1 AND (oauth_access <> '' OR oauth_refresh <> '')`, account)
		if err != nil {
			return err
		}
		n = a.RowsAffected() + b.RowsAffected()
		return nil
	})
	if err == nil && n == 0 {
		err = herald.ErrNotFound
	}
	return wrap("delete credentials of "+account, err)
}

package sqlstore

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// SaveCredentials stores an account's connected credentials with a version
// above the previous one (and at least the time in milliseconds, so a set
// deleted and saved again still gets a new version). The commit waits for
// the disk: a rotated token must not be lost.
func (s *Store) SaveCredentials(ctx context.Context, c herald.Credentials) (int64, error) {
	secrets, public, err := herald.EncodeCredentials(c)
	if err != nil {
		return 0, s.wrap("save credentials of "+c.Account, err)
	}
	var v int64
	err = s.b.Write(ctx, 0, func(q Querier) error {
		return q.QueryRow(ctx, `INSERT INTO credentials (account_id, network, method, secrets, public,
			expires_at, updated_at, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
			ON CONFLICT (account_id) DO UPDATE SET network = excluded.network, method = excluded.method,
			secrets = excluded.secrets, public = excluded.public, expires_at = excluded.expires_at,
			updated_at = excluded.updated_at, version = `+s.d.Greatest+`(credentials.version + 1, excluded.version)
			RETURNING version`,
			c.Account, string(c.Network), c.Method, secrets, public, MS(c.Expiry), time.Now().UnixMilli()).Scan(&v)
	})
	return v, s.wrap("save credentials of "+c.Account, err)
}

// LoadCredentials returns an account's connected credentials.
func (s *Store) LoadCredentials(ctx context.Context, account string) (herald.Credentials, error) {
	c := herald.Credentials{Account: account}
	var network, secrets, public string
	err := s.b.Reader().QueryRow(ctx, `SELECT network, method, secrets, public, expires_at, updated_at, version
		FROM credentials WHERE account_id = ? AND method <> ''`, account).
		Scan(&network, &c.Method, &secrets, &public, TM(&c.Expiry), TM(&c.UpdatedAt), &c.Version)
	if err == nil {
		c.Network = herald.Network(network)
		err = herald.DecodeCredentials(&c, secrets, public)
	}
	return c, s.wrap("load credentials of "+account, err)
}

// CredentialsVersion returns the version of an account's credentials (0:
// never connected); forgetting them changes it too.
func (s *Store) CredentialsVersion(ctx context.Context, account string) (int64, error) {
	var v int64
	err := s.b.Reader().QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM credentials WHERE account_id = ?`,
		account).Scan(&v)
	return v, s.wrap("credentials version of "+account, err)
}

// DeleteCredentials forgets an account's credentials and stored token. The
// row stays, emptied, with a new version: a running publisher notices.
func (s *Store) DeleteCredentials(ctx context.Context, account string) error {
	var n int64
	err := s.b.Write(ctx, 0, func(q Querier) error {
		a, err := q.Exec(ctx, `UPDATE credentials SET method = '', secrets = '{}', public = '{}',
			expires_at = NULL, updated_at = ?1, version = version + 1 WHERE account_id = ?2 AND method <> ''`,
			time.Now().UnixMilli(), account)
		if err != nil {
			return err
		}
		b, err := q.Exec(ctx, `UPDATE accounts SET oauth_access = '', oauth_refresh = '', oauth_expiry = NULL
			WHERE id = ? AND (oauth_access <> '' OR oauth_refresh <> '')`, account)
		n = a + b
		return err
	})
	if err == nil && n == 0 {
		err = herald.ErrNotFound
	}
	return s.wrap("delete credentials of "+account, err)
}

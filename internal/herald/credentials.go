package herald

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Credentials are what `herald accounts connect` obtained for an account:
// kept in the store so every instance on a shared database uses them, and
// used for each key the configuration (or its HERALD_* variable) leaves
// empty.
type Credentials struct {
	Account string
	Network Network
	// Method is the flow that obtained them: "oauth2" or "oauth1" (X),
	// "page" (Facebook), "oauth" (Mastodon), "app_password" (Bluesky).
	Method string
	// Secrets are the secret values by configuration key (access_token,
	// access_token_secret, page_access_token, client_secret, app_password,
	// refresh_token, ...). A store that encrypts tokens at rest encrypts these.
	Secrets map[string]string
	// Public are the values that are not secret, by configuration key
	// (user_id, page_id, client_id, instance_url, handle, pds_url, ...) and
	// what the flow learnt (username, scopes, did, ...).
	Public map[string]string
	// Expiry is when the credentials stop working (zero: they do not expire,
	// or they are renewed as they are used).
	Expiry time.Time
	// UpdatedAt and Version are set by the store on each save; Version
	// increases, so a running publisher notices new credentials.
	UpdatedAt time.Time
	Version   int64
}

// CredentialStore keeps connected credentials, one set per account.
type CredentialStore interface {
	// SaveCredentials stores c (replacing the account's previous ones) with a
	// new version and returns it.
	SaveCredentials(ctx context.Context, c Credentials) (int64, error)
	// LoadCredentials returns the account's credentials (ErrNotFound if none).
	LoadCredentials(ctx context.Context, account string) (Credentials, error)
	// CredentialsVersion returns the version of the account's credentials
	// (0 if never connected), which every save and delete changes: a cheap
	// check made before each use.
	CredentialsVersion(ctx context.Context, account string) (int64, error)
	// DeleteCredentials forgets the account's credentials and its stored
	// OAuth 2.0 token (ErrNotFound if it had neither).
	DeleteCredentials(ctx context.Context, account string) error
}

// EncodeCredentials returns c's secret and public values as the JSON objects
// a store keeps.
func EncodeCredentials(c Credentials) (secrets, public string, err error) {
	s, err1 := json.Marshal(nonNil(c.Secrets))
	p, err2 := json.Marshal(nonNil(c.Public))
	if err := errors.Join(err1, err2); err != nil {
		return "", "", fmt.Errorf("encode credentials: %w", err)
	}
	return string(s), string(p), nil
}

// DecodeCredentials fills c's secret and public values from a store's JSON.
func DecodeCredentials(c *Credentials, secrets, public string) error {
	c.Secrets, c.Public = map[string]string{}, map[string]string{}
	if err := errors.Join(json.Unmarshal([]byte(secrets), &c.Secrets), json.Unmarshal([]byte(public), &c.Public)); err != nil {
		return fmt.Errorf("decode credentials: %w", err)
	}
	return nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// MapSecrets returns c with each secret value replaced by f(key, value): a
// store that encrypts credentials at rest seals them on the way in and
// opens them on the way out with it.
func (c Credentials) MapSecrets(f func(key, value string) (string, error)) (Credentials, error) {
	out := make(map[string]string, len(c.Secrets))
	for k, v := range c.Secrets {
		nv, err := f(k, v)
		if err != nil {
			return Credentials{}, fmt.Errorf("credentials of %s: %s: %w", c.Account, k, err)
		}
		out[k] = nv
	}
	c.Secrets = out
	return c, nil
}

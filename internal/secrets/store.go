package secrets

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Store is a herald.Store whose stored credentials (OAuth 2.0 tokens and
// sessions, connected accounts' credentials, WebSub secrets) are sealed on the way in and opened on the way
// out; everything else passes through.
type Store struct {
	herald.Store
	Sealer *Sealer // nil: stored as they are
}

var _ herald.Store = (*Store)(nil)

// Wrap returns st with its credentials sealed by s (nil: plaintext).
func Wrap(st herald.Store, s *Sealer) *Store { return &Store{Store: st, Sealer: s} }

func tokenField(account, which string) string { return "oauth2:" + account + ":" + which }

const pushField = "websub:secret"

// LoadToken returns the account's token, opened.
func (s *Store) LoadToken(ctx context.Context, account string) (herald.Token, error) {
	return Tokens{s.Store, s.Sealer}.LoadToken(ctx, account)
}

// SaveToken stores the account's token, sealed.
func (s *Store) SaveToken(ctx context.Context, account string, t herald.Token) error {
	return Tokens{s.Store, s.Sealer}.SaveToken(ctx, account, t)
}

// Tokens is a herald.TokenStore whose tokens are sealed at rest.
type Tokens struct {
	herald.TokenStore
	Sealer *Sealer // nil: stored as they are
}

// LoadToken returns the account's token, opened.
func (s Tokens) LoadToken(ctx context.Context, account string) (herald.Token, error) {
	t, err := s.TokenStore.LoadToken(ctx, account)
	if err != nil {
		return t, err
	}
	var err1, err2 error
	t.AccessToken, err1 = s.Sealer.Open(tokenField(account, "access"), t.AccessToken)
	t.RefreshToken, err2 = s.Sealer.Open(tokenField(account, "refresh"), t.RefreshToken)
	if err := errors.Join(err1, err2); err != nil {
		return herald.Token{}, fmt.Errorf("load token of %s: %w", account, err)
	}
	return t, nil
}

// SaveToken stores the account's token, sealed.
func (s Tokens) SaveToken(ctx context.Context, account string, t herald.Token) error {
	t.AccessToken = s.Sealer.Seal(tokenField(account, "access"), t.AccessToken)
	t.RefreshToken = s.Sealer.Seal(tokenField(account, "refresh"), t.RefreshToken)
	return s.TokenStore.SaveToken(ctx, account, t)
}

// SetPush records a subscription with its secret sealed.
func (s *Store) SetPush(ctx context.Context, sourceID int64, p herald.PushState) error {
	p.Secret = s.Sealer.Seal(pushField, p.Secret)
	return s.Store.SetPush(ctx, sourceID, p)
}

func (s *Store) open(src *herald.Source) error {
	v, err := s.Sealer.Open(pushField, src.PushSecret)
	if err != nil {
		return fmt.Errorf("websub secret of source %s: %w", src.Name, err)
	}
	src.PushSecret = v
	return nil
}

// GetSource returns a source with its WebSub secret opened.
func (s *Store) GetSource(ctx context.Context, name string) (herald.Source, error) {
	src, err := s.Store.GetSource(ctx, name)
	if err != nil {
		return src, err
	}
	return src, s.open(&src)
}

// PushSource returns a push-only source with its WebSub secret opened.
func (s *Store) PushSource(ctx context.Context, name string) (herald.Source, error) {
	src, err := s.Store.PushSource(ctx, name)
	if err != nil {
		return src, err
	}
	return src, s.open(&src)
}

// ListSources returns the sources with their WebSub secrets opened.
func (s *Store) ListSources(ctx context.Context) ([]herald.Source, error) {
	srcs, err := s.Store.ListSources(ctx)
	return s.openAll(srcs, err)
}

// ClaimSources claims due sources, their WebSub secrets opened.
func (s *Store) ClaimSources(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]herald.Source, error) {
	srcs, err := s.Store.ClaimSources(ctx, owner, now, lease, limit)
	return s.openAll(srcs, err)
}

func (s *Store) openAll(srcs []herald.Source, err error) ([]herald.Source, error) {
	if err != nil {
		return srcs, err
	}
	for i := range srcs {
		if err := s.open(&srcs[i]); err != nil {
			return nil, err
		}
	}
	return srcs, nil
}

// SealAll seals the credentials st holds in plaintext (written before a key
// was set) and returns how many it sealed. st is the unwrapped store.
func SealAll(ctx context.Context, st herald.Store, s *Sealer, now time.Time) (int, error) {
	if s == nil {
		return 0, nil
	}
	w := Wrap(st, s)
	n := 0
	accounts, err := st.ListAccounts(ctx, now)
	if err != nil {
		return n, fmt.Errorf("seal stored secrets: %w", err)
	}
	for _, a := range accounts {
		switch sealed, err := sealCredentials(ctx, st, w, a.ID); {
		case err != nil:
			return n, fmt.Errorf("seal credentials of %s: %w", a.ID, err)
		case sealed:
			n++
		}
		t, err := st.LoadToken(ctx, a.ID)
		if errors.Is(err, herald.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("seal stored secrets: %w", err)
		}
		if plain(t.AccessToken) || plain(t.RefreshToken) {
			if err := w.SaveToken(ctx, a.ID, t); err != nil {
				return n, fmt.Errorf("seal token of %s: %w", a.ID, err)
			}
			n++
		}
	}
	srcs, err := st.ListSources(ctx)
	if err != nil {
		return n, fmt.Errorf("seal stored secrets: %w", err)
	}
	for _, src := range srcs {
		if !plain(src.PushSecret) {
			continue
		}
		if err := w.SetPush(ctx, src.ID, herald.PushState{HubURL: src.HubURL, State: src.PushState,
			Secret: src.PushSecret, LeaseUntil: src.PushLeaseUntil}); err != nil {
			return n, fmt.Errorf("seal websub secret of source %s (%s): %w", src.Name, strconv.FormatInt(src.ID, 10), err)
		}
		n++
	}
	return n, nil
}

func plain(v string) bool { return v != "" && !Sealed(v) }

func credentialField(account, key string) string { return "connect:" + account + ":" + key }

// SaveCredentials stores an account's connected credentials, each secret
// value sealed.
func (s *Store) SaveCredentials(ctx context.Context, c herald.Credentials) (int64, error) {
	sealed, err := c.MapSecrets(func(k, v string) (string, error) {
		return s.Sealer.Seal(credentialField(c.Account, k), v), nil
	})
	if err != nil {
		return 0, err
	}
	return s.Store.SaveCredentials(ctx, sealed)
}

// LoadCredentials returns an account's connected credentials, opened.
func (s *Store) LoadCredentials(ctx context.Context, account string) (herald.Credentials, error) {
	c, err := s.Store.LoadCredentials(ctx, account)
	if err != nil {
		return c, err
	}
	opened, err := c.MapSecrets(func(k, v string) (string, error) {
		return s.Sealer.Open(credentialField(account, k), v)
	})
	if err != nil {
		return herald.Credentials{}, fmt.Errorf("load credentials of %s: %w", account, err)
	}
	return opened, nil
}

// sealCredentials seals the connected credentials of account held in
// plaintext and reports whether there were any.
func sealCredentials(ctx context.Context, st herald.Store, w *Store, account string) (bool, error) {
	c, err := st.LoadCredentials(ctx, account)
	if errors.Is(err, herald.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, v := range c.Secrets {
		if plain(v) {
			_, err := w.SaveCredentials(ctx, c)
			return err == nil, err
		}
	}
	return false, nil
}

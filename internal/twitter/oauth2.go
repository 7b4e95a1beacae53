package twitter

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/internal/herald"
)

// refreshEarly is how long before its expiry an access token is replaced, so
// a post never goes out with a token about to lapse.
const refreshEarly = 5 * time.Minute

// tokenSource is an oauth2.TokenSource that refreshes through x/oauth2 and
// saves every rotated pair to the store before using it: X's refresh tokens
// are single-use, so a pair held only in memory would be lost on restart.
type tokenSource struct {
	conf    *oauth2.Config
	store   herald.TokenStore
	account string
	initial string // configured refresh token, used when the store has none
	http    *http.Client
	log     *slog.Logger

	mu      sync.Mutex
	loaded  bool
	tok     *oauth2.Token
	unsaved bool // the current pair could not be saved yet
}

// Token returns a valid access token for oauth2.Transport. The Client calls
// token with the request's context and the early margin first, so this one
// refreshes only if that token lapsed in between.
func (s *tokenSource) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.http.Timeout)
	defer cancel()
	return s.token(ctx, false, 0)
}

// token returns an access token valid for at least early more; force
// replaces the current one even so (after the API refused it).
func (s *tokenSource) token(ctx context.Context, force bool, early time.Duration) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	if s.unsaved {
		s.save(ctx)
	}
	if !force && s.tok.Valid() && (s.tok.Expiry.IsZero() || time.Until(s.tok.Expiry) > early) {
		return s.tok, nil
	}
	if s.tok.RefreshToken == "" {
		return nil, &herald.Error{Kind: herald.ErrAuth, Network: herald.Twitter, Op: "refresh token",
			Message: "no refresh token: authorize the account again and set refresh_token"}
	}
	rctx := context.WithValue(ctx, oauth2.HTTPClient, s.http)
	nt, err := s.conf.TokenSource(rctx, &oauth2.Token{RefreshToken: s.tok.RefreshToken}).Token()
	if err != nil {
		rerr := refreshError(err)
		if herald.KindOf(rerr) != herald.ErrAuth {
			return nil, rerr
		}
		// Another instance on the same database may have spent this refresh
		// token and stored the pair it got: use that one.
		stored, lerr := s.store.LoadToken(ctx, s.account)
		if lerr != nil || stored.RefreshToken == "" || stored.RefreshToken == s.tok.RefreshToken {
			return nil, rerr
		}
		s.tok = &oauth2.Token{AccessToken: stored.AccessToken, RefreshToken: stored.RefreshToken, Expiry: stored.Expiry, TokenType: "bearer"}
		s.log.Info("oauth2 token pair rotated by another instance; using the stored one")
		if !force && s.tok.Valid() && (s.tok.Expiry.IsZero() || time.Until(s.tok.Expiry) > early) {
			return s.tok, nil
		}
		if nt, err = s.conf.TokenSource(rctx, &oauth2.Token{RefreshToken: s.tok.RefreshToken}).Token(); err != nil {
			return nil, refreshError(err)
		}
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = s.tok.RefreshToken
	}
	s.tok = nt
	s.unsaved = true
	s.save(ctx)
	s.log.Info("oauth2 token refreshed", "expires_at", nt.Expiry.UTC().Format(time.RFC3339), "saved", !s.unsaved)
	return s.tok, nil
}

// load reads the stored pair once; the store's pair wins over the configured
// refresh token, which the first refresh has already spent. Caller holds mu.
func (s *tokenSource) load(ctx context.Context) error {
	if s.loaded {
		return nil
	}
	t, err := s.store.LoadToken(ctx, s.account)
	switch {
	case errors.Is(err, herald.ErrNotFound):
		s.tok = &oauth2.Token{RefreshToken: s.initial}
	case err != nil:
		return &herald.Error{Kind: herald.ErrRetryable, Network: herald.Twitter, Op: "load token",
			Message: "token store: " + err.Error(), Err: err}
	default:
		s.tok = &oauth2.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry, TokenType: "bearer"}
	}
	s.loaded = true
	return nil
}

// save stores the current pair, even when ctx is already cancelled: the old
// refresh token is spent, so this pair is the only one left. A failure is
// logged and retried on the next use. Caller holds mu.
func (s *tokenSource) save(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := s.store.SaveToken(ctx, s.account, herald.Token{
		AccessToken: s.tok.AccessToken, RefreshToken: s.tok.RefreshToken, Expiry: s.tok.Expiry,
	})
	if err != nil {
		s.log.Error("oauth2 token pair not saved; will retry", "error", err)
		return
	}
	s.unsaved = false
}

// refreshError classifies a failed refresh: a refused refresh token needs an
// operator (auth); a server or network failure can be retried.
func refreshError(err error) error {
	e := &herald.Error{Kind: herald.ErrRetryable, Network: herald.Twitter, Op: "refresh token", Err: err}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		e.Message = "token endpoint: " + errorText(err)
		return e
	}
	if re.Response != nil {
		e.Status = re.Response.StatusCode
	}
	e.Message = re.ErrorCode
	if re.ErrorDescription != "" {
		e.Message += ": " + re.ErrorDescription
	}
	if e.Message == "" {
		e.Message = http.StatusText(e.Status)
	}
	if e.Status < 500 && e.Status != http.StatusTooManyRequests {
		e.Kind = herald.ErrAuth
	}
	// Only the parsed fields are kept: the raw body is not carried along.
	e.Err = nil
	return e
}

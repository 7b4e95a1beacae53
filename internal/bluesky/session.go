package bluesky

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// session is the account's current login.
type session struct {
	access, refresh string
	expiry          time.Time // the access token's, from its claims; zero when unknown
	did, handle     string
}

type sessionAnswer struct {
	AccessJwt  string `json:"accessJwt"`
	RefreshJwt string `json:"refreshJwt"`
	Handle     string `json:"handle"`
	DID        string `json:"did"`
}

// authed makes a call with the session's access token, logging in first if
// needed. An expired access token is refreshed (or, failing that, a new
// session made) and the call retried once.
func (c *Client) authed(ctx context.Context, x xcall, out any) (http.Header, error) {
	s, err := c.session(ctx, x.op)
	if err != nil {
		return nil, err
	}
	if !s.expiry.IsZero() && !c.cfg.Now().Before(s.expiry.Add(-expirySlack)) {
		if s, err = c.renew(ctx, x.op, s.access); err != nil {
			return nil, err
		}
	}
	h, err := c.send(ctx, x, s.access, out)
	if xrpcName(err) != "ExpiredToken" {
		return h, err
	}
	if s, err = c.renew(ctx, x.op, s.access); err != nil {
		return nil, err
	}
	return c.send(ctx, x, s.access, out)
}

// expirySlack renews an access token this long before it expires.
const expirySlack = 30 * time.Second

// session returns the current session, logging in when there is none: with
// the stored tokens if they still work, else with the app password.
func (c *Client) session(ctx context.Context, op string) (session, error) {
	c.renewMu.Lock()
	defer c.renewMu.Unlock()
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s.did != "" {
		return s, nil
	}
	if c.tokens != nil {
		t, err := c.tokens.LoadToken(ctx, c.cfg.AccountID)
		if err == nil && t.AccessToken != "" && t.RefreshToken != "" {
			s, err := c.resume(ctx, op, t)
			if err == nil || herald.KindOf(err) != herald.ErrAuth {
				return s, err
			}
			c.log.Info("bluesky stored session no longer works; logging in again", "error", err)
		}
	}
	return c.login(ctx)
}

// resume adopts stored tokens and learns the account's DID with getSession,
// refreshing once if the access token has expired. Caller holds renewMu.
func (c *Client) resume(ctx context.Context, op string, t herald.Token) (session, error) {
	s := session{access: t.AccessToken, refresh: t.RefreshToken, expiry: t.Expiry}
	c.setSession(s)
	var info sessionAnswer
	_, err := c.send(ctx, xcall{op: op, method: http.MethodGet, nsid: "com.atproto.server.getSession"}, s.access, &info)
	if xrpcName(err) == "ExpiredToken" {
		if s, err = c.refreshLocked(ctx); err != nil {
			return session{}, err
		}
		_, err = c.send(ctx, xcall{op: op, method: http.MethodGet, nsid: "com.atproto.server.getSession"}, s.access, &info)
	}
	if err != nil {
		return session{}, err
	}
	c.mu.Lock()
	c.sess.did, c.sess.handle = info.DID, info.Handle
	s = c.sess
	c.mu.Unlock()
	return s, nil
}

// login makes a new session with the handle and app password. Caller holds renewMu.
func (c *Client) login(ctx context.Context) (session, error) {
	var a sessionAnswer
	_, err := c.send(ctx, xcall{op: opSession, method: http.MethodPost, nsid: "com.atproto.server.createSession",
		body: map[string]string{"identifier": c.cfg.Handle, "password": c.cfg.AppPassword}}, "", &a)
	if err != nil {
		return session{}, err
	}
	return c.adopt(ctx, a), nil
}

// renew replaces the access token stale: by another caller already, or
// with refreshSession, or, when the refresh token no longer works, with a
// new session.
func (c *Client) renew(ctx context.Context, op, stale string) (session, error) {
	c.renewMu.Lock()
	defer c.renewMu.Unlock()
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s.access != stale && s.did != "" {
		return s, nil
	}
	s, err := c.refreshLocked(ctx)
	if err == nil || !slices.Contains([]string{"ExpiredToken", "InvalidToken", "AuthenticationRequired"}, xrpcName(err)) {
		return s, err
	}
	c.log.Info("bluesky refresh token no longer works; logging in again", "error", err)
	return c.login(ctx)
}

// refreshLocked rotates the token pair with refreshSession. Caller holds renewMu.
func (c *Client) refreshLocked(ctx context.Context) (session, error) {
	c.mu.Lock()
	refresh := c.sess.refresh
	c.mu.Unlock()
	var a sessionAnswer
	_, err := c.send(ctx, xcall{op: opRefresh, method: http.MethodPost, nsid: "com.atproto.server.refreshSession"}, refresh, &a)
	if err != nil {
		return session{}, err
	}
	return c.adopt(ctx, a), nil
}

// adopt makes a new token pair current and stores it: the refresh token
// used to get it is spent.
func (c *Client) adopt(ctx context.Context, a sessionAnswer) session {
	c.mu.Lock()
	c.sess = session{access: a.AccessJwt, refresh: a.RefreshJwt, expiry: jwtExpiry(a.AccessJwt),
		did: a.DID, handle: a.Handle}
	s := c.sess
	c.mu.Unlock()
	if c.tokens != nil {
		t := herald.Token{AccessToken: s.access, RefreshToken: s.refresh, Expiry: s.expiry}
		if err := c.tokens.SaveToken(ctx, c.cfg.AccountID, t); err != nil {
			// The pair works for this process; a restart logs in again.
			c.log.Warn("bluesky cannot store the session's tokens", "error", err)
		}
	}
	return s
}

func (c *Client) setSession(s session) {
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
}

// jwtExpiry reads the exp claim of a JWT without verifying it (the PDS
// does); zero when the token is not a JWT.
func jwtExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(b, &claims) != nil || claims.Exp <= 0 {
		return time.Time{}
	}
	return time.Unix(claims.Exp, 0)
}

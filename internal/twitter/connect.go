package twitter

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dghubble/oauth1"
	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/internal/herald"
)

// Scopes are what Herald asks X for with OAuth 2.0: post, read its posts
// back, know the account, and a refresh token (offline.access).
var Scopes = []string{"tweet.read", "tweet.write", "users.read", "offline.access"}

// authorizeBase is where X's authorize pages are for an API at base: x.com
// for the real API, the emulation's own address otherwise.
func authorizeBase(base string) string {
	if base == "" || base == DefaultBaseURL {
		return "https://x.com"
	}
	return strings.TrimRight(base, "/")
}

// PKCE is one OAuth 2.0 Authorization Code Flow with PKCE: Start gives the
// URL to open, Finish takes the URL X redirected to and returns the token.
// The verifier stays inside; only its S256 challenge leaves.
type PKCE struct {
	conf     *oauth2.Config
	http     *http.Client
	base     string
	state    string
	verifier string
}

// NewPKCE prepares a flow for the app's client (secret empty for a public
// client) against the API at base ("" for X), redirecting to redirect.
func NewPKCE(base, clientID, clientSecret, redirect string, client *http.Client) *PKCE {
	if base == "" {
		base = DefaultBaseURL
	}
	base = strings.TrimRight(base, "/")
	style := oauth2.AuthStyleInParams
	if clientSecret != "" {
		style = oauth2.AuthStyleInHeader
	}
	return &PKCE{
		conf: &oauth2.Config{ClientID: clientID, ClientSecret: clientSecret, RedirectURL: redirect, Scopes: Scopes,
			Endpoint: oauth2.Endpoint{AuthURL: authorizeBase(base) + "/i/oauth2/authorize",
				TokenURL: base + "/2/oauth2/token", AuthStyle: style}},
		http: client, base: base, state: rand.Text(), verifier: oauth2.GenerateVerifier(),
	}
}

// AuthorizeURL is the URL the user opens to authorize the app.
func (p *PKCE) AuthorizeURL() string {
	return p.conf.AuthCodeURL(p.state, oauth2.S256ChallengeOption(p.verifier))
}

// Finish checks the redirected URL's state and error, and exchanges its
// code for a token.
func (p *PKCE) Finish(ctx context.Context, redirected *url.URL) (herald.Token, error) {
	q := redirected.Query()
	if q.Get("state") != p.state {
		return herald.Token{}, errors.New("the redirect's state does not match the request's: start again (the URL may come from another attempt or another site)")
	}
	if e := q.Get("error"); e != "" {
		return herald.Token{}, fmt.Errorf("x refused the authorization: %s %s", e, q.Get("error_description"))
	}
	code := q.Get("code")
	if code == "" {
		return herald.Token{}, errors.New("the redirect has no code")
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.http)
	t, err := p.conf.Exchange(ctx, code, oauth2.VerifierOption(p.verifier))
	if err != nil {
		return herald.Token{}, fmt.Errorf("exchange the code: %w", refreshError(err))
	}
	if t.RefreshToken == "" {
		return herald.Token{}, errors.New("x gave no refresh token: the app must allow offline.access")
	}
	return herald.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry}, nil
}

// Revoke revokes an OAuth 2.0 token (POST /2/oauth2/revoke) of the app's
// client; hint is "access_token" or "refresh_token".
func Revoke(ctx context.Context, base, clientID, clientSecret, token, hint string, client *http.Client) error {
	if base == "" {
		base = DefaultBaseURL
	}
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	if clientSecret == "" {
		form.Set("client_id", clientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/2/oauth2/revoke",
		strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if clientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("revoke token: %s", errorText(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revoke token: HTTP %d", resp.StatusCode)
	}
	return nil
}

// PIN is one OAuth 1.0a flow with a PIN (oauth_callback=oob): Start gets a
// request token and the URL to open; Finish trades the PIN shown there for
// the user's access token and secret.
type PIN struct {
	conf          *oauth1.Config
	token, secret string
}

// NewPIN prepares a PIN flow for the app's consumer key against the API at
// base ("" for X).
func NewPIN(base, consumerKey, consumerSecret string, client *http.Client) *PIN {
	if base == "" {
		base = DefaultBaseURL
	}
	base = strings.TrimRight(base, "/")
	c := oauth1.NewConfig(consumerKey, consumerSecret)
	c.CallbackURL = "oob"
	c.HTTPClient = client
	c.Endpoint = oauth1.Endpoint{RequestTokenURL: base + "/oauth/request_token",
		AuthorizeURL: base + "/oauth/authorize", AccessTokenURL: base + "/oauth/access_token"}
	return &PIN{conf: c}
}

// Start obtains a request token and returns the URL that shows the PIN.
func (p *PIN) Start() (string, error) {
	tok, secret, err := p.conf.RequestToken()
	if err != nil {
		return "", fmt.Errorf("request token (is consumer_key/consumer_secret right?): %s", errorText(err))
	}
	p.token, p.secret = tok, secret
	u, err := p.conf.AuthorizationURL(tok)
	if err != nil {
		return "", fmt.Errorf("authorize url: %w", err)
	}
	return u.String(), nil
}

// Finish trades the PIN for the access token and secret.
func (p *PIN) Finish(pin string) (token, secret string, err error) {
	pin = strings.TrimSpace(pin)
	if pin == "" {
		return "", "", errors.New("no PIN given")
	}
	token, secret, err = p.conf.AccessToken(p.token, p.secret, pin)
	if err != nil {
		return "", "", fmt.Errorf("access token (is the PIN right? it works once): %s", errorText(err))
	}
	return token, secret, nil
}

// ConnectTimeout bounds each call a connect flow makes.
const ConnectTimeout = 30 * time.Second

// Me returns the ID and username of the user an OAuth 2.0 access token
// belongs to (GET /2/users/me).
func Me(ctx context.Context, base, accessToken string, client *http.Client) (id, username string, err error) {
	if base == "" {
		base = DefaultBaseURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/2/users/me", nil)
	if err != nil {
		return "", "", fmt.Errorf("users/me: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := client.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("users/me: %s", errorText(err))
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"data"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("users/me: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil || out.Data.ID == "" {
		return "", "", fmt.Errorf("users/me: unreadable answer: %v", err)
	}
	return out.Data.ID, out.Data.Username, nil
}

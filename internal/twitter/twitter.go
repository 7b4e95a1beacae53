// Package twitter publishes to X (Twitter): v2 over net/http with OAuth 1.0a
// (dghubble/oauth1) or an OAuth 2.0 user token (golang.org/x/oauth2, rotating
// refresh tokens kept in the store), or v1.1 through dghubble/go-twitter for
// accounts that still have v1.1 access. Every failure is classified once as a
// *herald.Error.
package twitter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dghubble/oauth1"
	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/internal/herald"
)

// DefaultBaseURL is X's API host.
const DefaultBaseURL = "https://api.x.com"

// Config is one X account's settings (the `accounts.<id>` keys of network twitter).
type Config struct {
	AccountID string
	API       string // "v2" (default) or "v1.1"
	Auth      string // "oauth1" (default) or "oauth2"
	BaseURL   string // default DefaultBaseURL
	// UserID is the account's numeric id; when empty it is looked up with
	// GET /2/users/me the first time it is needed.
	UserID string
	// OAuth 1.0a user context.
	ConsumerKey       string
	ConsumerSecret    string
	AccessToken       string
	AccessTokenSecret string
	// OAuth 2.0 user token: the app's client credentials and the initial
	// refresh token, used only when the TokenStore holds none for the account.
	ClientID     string
	ClientSecret string
	RefreshToken string
	// HTTPTimeout bounds each call, connection to last byte (default 30 s).
	HTTPTimeout time.Duration
	// HTTPClient supplies the base transport (default: a clone of
	// http.DefaultTransport). Its own Timeout is not used.
	HTTPClient *http.Client
}

// Client posts to one X account. It is safe for concurrent use.
type Client struct {
	cfg     Config
	log     *slog.Logger
	base    *url.URL
	timeout time.Duration
	http    *http.Client      // v2: signs (OAuth 1.0a) or carries the bearer token
	tokens  *tokenSource      // OAuth 2.0 only
	v11     http.RoundTripper // v1.1: the OAuth 1.0a signing transport

	mu          sync.Mutex
	userID      string
	username    string
	identityErr time.Time // last failed best-effort identity lookup
	postFields  bool      // X refused tweet.fields: send post.fields
}

var _ herald.Publisher = (*Client)(nil)

// New returns a Client for cfg. tokens persists rotating OAuth 2.0 tokens
// (required with auth oauth2; unused otherwise). New does no I/O.
func New(cfg Config, tokens herald.TokenStore, logger *slog.Logger) (*Client, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := normalize(&cfg, tokens); err != nil {
		return nil, fmt.Errorf("twitter: account %s: %w", cfg.AccountID, err)
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("twitter: account %s: api_base_url: not an absolute URL", cfg.AccountID)
	}
	base.Path = strings.TrimSuffix(base.Path, "/")
	c := &Client{
		cfg: cfg, log: logger.With("account", cfg.AccountID), base: base,
		timeout: cfg.HTTPTimeout, userID: cfg.UserID,
	}
	baseRT := http.RoundTripper(nil)
	if cfg.HTTPClient != nil {
		baseRT = cfg.HTTPClient.Transport
	}
	if baseRT == nil {
		baseRT = http.DefaultTransport.(*http.Transport).Clone()
	}
	switch cfg.Auth {
	case "oauth2":
		conf := &oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     oauth2.Endpoint{TokenURL: c.url("/2/oauth2/token", nil), AuthStyle: oauth2.AuthStyleInParams},
		}
		if cfg.ClientSecret != "" {
			// A confidential client authenticates with HTTP Basic, as X asks.
			conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		}
		c.tokens = &tokenSource{
			conf: conf, store: tokens, account: cfg.AccountID, initial: cfg.RefreshToken,
			http: &http.Client{Transport: baseRT, Timeout: cfg.HTTPTimeout}, log: c.log,
		}
		c.http = &http.Client{Transport: &oauth2.Transport{Source: c.tokens, Base: baseRT}, Timeout: cfg.HTTPTimeout}
	default:
		ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: baseRT})
		signed := oauth1.NewConfig(cfg.ConsumerKey, cfg.ConsumerSecret).
			Client(ctx, oauth1.NewToken(cfg.AccessToken, cfg.AccessTokenSecret))
		c.http = &http.Client{Transport: signed.Transport, Timeout: cfg.HTTPTimeout}
		if cfg.API == "v1.1" {
			c.v11 = signed.Transport
		}
	}
	return c, nil
}

// normalize applies defaults and checks that the settings fit together; its
// errors name the configuration key at fault.
func normalize(cfg *Config, tokens herald.TokenStore) error {
	if cfg.AccountID == "" {
		return errors.New("account id is required")
	}
	if cfg.API == "" {
		cfg.API = "v2"
	}
	if cfg.Auth == "" {
		cfg.Auth = "oauth1"
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = 30 * time.Second
	}
	switch {
	case cfg.API != "v2" && cfg.API != "v1.1":
		return fmt.Errorf("api: %q is not v2 or v1.1", cfg.API)
	case cfg.Auth != "oauth1" && cfg.Auth != "oauth2":
		return fmt.Errorf("auth: %q is not oauth1 or oauth2", cfg.Auth)
	case cfg.API == "v1.1" && cfg.Auth != "oauth1":
		return errors.New("auth: api v1.1 needs oauth1")
	}
	if cfg.Auth == "oauth2" {
		switch {
		case cfg.ClientID == "":
			return errors.New("client_id: required with auth oauth2")
		case tokens == nil:
			return errors.New("auth oauth2 needs a token store")
		}
		return nil
	}
	for _, f := range []struct{ key, val string }{
		{"consumer_key", cfg.ConsumerKey}, {"consumer_secret", cfg.ConsumerSecret},
		{"access_token", cfg.AccessToken}, {"access_token_secret", cfg.AccessTokenSecret},
	} {
		if f.val == "" {
			return fmt.Errorf("%s: required with auth oauth1", f.key)
		}
	}
	return nil
}

// Network names the network.
func (c *Client) Network() herald.Network { return herald.Twitter }

// url is the full URL of an API path.
func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + path
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// permalink is a post's public URL; without the handle, X's handle-free form.
func (c *Client) permalink(id string) string {
	c.mu.Lock()
	name := c.username
	c.mu.Unlock()
	if name == "" {
		return "https://x.com/i/web/status/" + id
	}
	return "https://x.com/" + name + "/status/" + id
}

func (c *Client) setIdentity(id, username string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id != "" {
		c.userID = id
	}
	if username != "" {
		c.username = username
	}
}

// knowHandle makes a best effort to learn the account's handle for
// permalinks; a failure only means the handle-free permalink, and is not
// retried for five minutes.
func (c *Client) knowHandle(ctx context.Context) {
	c.mu.Lock()
	skip := c.username != "" || time.Since(c.identityErr) < 5*time.Minute
	c.mu.Unlock()
	if skip {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.Check(ctx); err != nil {
		c.log.Debug("handle lookup failed; permalink without handle", "error", err)
		c.mu.Lock()
		c.identityErr = time.Now()
		c.mu.Unlock()
	}
}

// accountID returns the account's numeric id, from the configuration or
// GET /2/users/me (cached).
func (c *Client) accountID(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.userID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	ident, err := c.Check(ctx)
	if err != nil {
		return "", err
	}
	return ident.ID, nil
}

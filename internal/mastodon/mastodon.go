// Package mastodon publishes to a Mastodon account through the REST API
// (plain net/http: github.com/mattn/go-mastodon cannot send an
// Idempotency-Key). It posts with POST /api/v1/statuses under the job's
// Idempotency-Key, so a retry after a lost answer never makes a second
// status, reads engagement with GET /api/v1/statuses/:id, reconciles with
// GET /api/v1/accounts/:id/statuses, deletes, and checks the token with
// GET /api/v1/accounts/verify_credentials.
package mastodon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/httpjson"
)

// Config is one Mastodon account.
type Config struct {
	AccountID string
	// InstanceURL is the server, e.g. https://mastodon.social.
	InstanceURL string
	// AccessToken is a user token with write:statuses and read (secret).
	AccessToken string
	// Visibility of posts: public (default), unlisted, private or direct.
	Visibility string
	// Language is the posts' ISO 639 language ("" lets the server guess).
	Language string
	// HTTPTimeout bounds every call end to end (default 30 s).
	HTTPTimeout time.Duration
	// RateLimitWait is how long a throttled account waits when the answer
	// says nothing of its reset (default 5 min, Mastodon's API window).
	RateLimitWait time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Client is a herald.Publisher for one Mastodon account. It is safe for
// concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client
	log  *slog.Logger

	mu     sync.Mutex
	self   string      // the account's id, from verify_credentials
	limits *textLimits // the instance's status limits, once read
}

var _ herald.Publisher = (*Client)(nil)

var visibilities = []string{"public", "unlisted", "private", "direct"}

// New checks cfg and fills its defaults. It does no I/O.
func New(cfg Config, logger *slog.Logger) (*Client, error) {
	if cfg.InstanceURL == "" {
		return nil, errors.New("mastodon: instance_url is required")
	}
	u, err := httpjson.ParseBase(cfg.InstanceURL)
	if err != nil {
		return nil, fmt.Errorf("mastodon: instance_url %q: %w", cfg.InstanceURL, err)
	}
	if cfg.AccessToken == "" {
		return nil, errors.New("mastodon: access_token is required")
	}
	if cfg.Visibility == "" {
		cfg.Visibility = "public"
	}
	if !slices.Contains(visibilities, cfg.Visibility) {
		return nil, fmt.Errorf("mastodon: visibility %q: must be one of %s", cfg.Visibility, strings.Join(visibilities, ", "))
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = 30 * time.Second
	}
	if cfg.RateLimitWait <= 0 {
		cfg.RateLimitWait = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, base: u, hc: httpjson.NewHTTPClient(cfg.HTTPTimeout),
		log: logger.With("network", "mastodon", "account", cfg.AccountID)}, nil
}

// Network names the network.
func (c *Client) Network() herald.Network { return herald.Mastodon }

// status is the part of Mastodon's Status entity Herald reads.
type status struct {
	ID              string `json:"id"`
	URL             string `json:"url"`
	URI             string `json:"uri"`
	CreatedAt       string `json:"created_at"`
	Content         string `json:"content"`
	RepliesCount    int64  `json:"replies_count"`
	ReblogsCount    int64  `json:"reblogs_count"`
	FavouritesCount int64  `json:"favourites_count"`
	Card            *struct {
		URL string `json:"url"`
	} `json:"card"`
	Reblog *struct {
		ID string `json:"id"`
	} `json:"reblog"`
}

func (s status) receipt() herald.Receipt {
	at, _ := time.Parse(time.RFC3339, s.CreatedAt)
	link := s.URL
	if link == "" {
		link = s.URI
	}
	return herald.Receipt{RemoteID: s.ID, Permalink: link, At: at}
}

// Publish posts m.Text with the account's visibility and language. The
// request carries m.IdempotencyKey, so the server answers a repeat of it
// (within an hour) with the status already made instead of a new one.
func (c *Client) Publish(ctx context.Context, m herald.Message) (herald.Receipt, error) {
	c.knowLimits(ctx)
	body := map[string]string{"status": m.Text, "visibility": c.cfg.Visibility}
	if c.cfg.Language != "" {
		body["language"] = c.cfg.Language
	}
	if m.ReplyTo != "" {
		body["in_reply_to_id"] = m.ReplyTo
	}
	var s status
	h, err := c.do(ctx, request{op: herald.OpPublish, method: http.MethodPost, path: "/api/v1/statuses",
		body: body, idempotencyKey: m.IdempotencyKey}, &s)
	if err != nil {
		return herald.Receipt{}, err
	}
	if s.ID == "" {
		return herald.Receipt{}, &herald.Error{Kind: herald.ErrUnknownOutcome, Network: herald.Mastodon,
			Op: herald.OpPublish, Status: http.StatusOK, Message: "answer has no status id"}
	}
	r := s.receipt()
	if r.At.IsZero() {
		r.At = c.cfg.Now()
	}
	// X-RateLimit-Limit, -Remaining and -Reset (an ISO 8601 time): Mastodon
	// sends the throttle closest to its limit.
	r.Limits = httpjson.Limits(h, "X-RateLimit-", c.cfg.Now())
	c.log.Debug("mastodon status created", "remote_id", s.ID)
	return r, nil
}

// Delete removes a status; one already gone is not an error.
func (c *Client) Delete(ctx context.Context, remoteID string) error {
	if !validID(remoteID) {
		return &herald.Error{Kind: herald.ErrPermanent, Network: herald.Mastodon, Op: herald.OpDelete,
			Message: fmt.Sprintf("invalid status id %q", remoteID)}
	}
	_, err := c.do(ctx, request{op: herald.OpDelete, method: http.MethodDelete, path: "/api/v1/statuses/" + remoteID}, nil)
	if isNotFound(err) {
		return nil
	}
	return err
}

// validID reports whether id can be put in a path as it is.
func validID(id string) bool {
	return id != "" && !strings.ContainsAny(id, "/?#%. ")
}

type account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
	URL         string `json:"url"`
}

// Check reads verify_credentials (the token works and who it posts as) and
// the instance's status limits, which posts are then fitted to.
func (c *Client) Check(ctx context.Context) (herald.Identity, error) {
	a, err := c.verify(ctx, herald.OpCheck)
	if err != nil {
		return herald.Identity{}, err
	}
	id := herald.Identity{ID: a.ID, Name: "@" + a.Acct}
	if host := c.base.Hostname(); a.Acct != "" && !strings.Contains(a.Acct, "@") {
		id.Name += "@" + host
	}
	c.checkScopes(ctx, &id)
	if l, err := c.readInstance(ctx); err != nil {
		id.Warnings = append(id.Warnings, "instance limits not read (Mastodon's defaults of 500 characters and 23 per link apply): "+err.Error())
	} else {
		c.log.Info("mastodon instance limits", "max_characters", l.maxChars, "characters_reserved_per_url", l.urlLength)
	}
	return id, nil
}

func (c *Client) verify(ctx context.Context, op string) (account, error) {
	var a account
	if _, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/api/v1/accounts/verify_credentials"}, &a); err != nil {
		return account{}, err
	}
	if a.ID == "" {
		return account{}, &herald.Error{Kind: herald.ErrRetryable, Network: herald.Mastodon, Op: op,
			Status: http.StatusOK, Message: "verify_credentials answered without an account id"}
	}
	c.mu.Lock()
	c.self = a.ID
	c.mu.Unlock()
	return a, nil
}

// selfID is the account's id, read once from verify_credentials.
func (c *Client) selfID(ctx context.Context, op string) (string, error) {
	c.mu.Lock()
	id := c.self
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	a, err := c.verify(ctx, op)
	return a.ID, err
}

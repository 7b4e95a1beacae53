// Package facebook publishes to a Facebook Page through the Graph API with
// github.com/huandu/facebook/v2: posts with POST /{page-id}/feed, reconciles
// with GET /{page-id}/posts, reads engagement with GET /?ids=, deletes, and
// checks the Page token (GET /me, GET /debug_token).
package facebook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	fb "github.com/huandu/facebook/v2"

	"github.com/heraldhq/herald/internal/herald"
)

// Config is one Facebook Page account.
type Config struct {
	AccountID       string
	PageID          string
	PageAccessToken string // secret
	// AppID and AppSecret are the app the Page token was issued to. With
	// AppSecret set every call carries appsecret_proof; with both set, Check
	// reads the token's expiry from debug_token with the app token.
	AppID     string
	AppSecret string // secret
	// GraphBaseURL is the API host (default https://graph.facebook.com).
	GraphBaseURL string
	// GraphVersion pins the Graph API version (default DefaultVersion).
	GraphVersion string
	// HTTPTimeout bounds every call end to end (default 30 s).
	HTTPTimeout time.Duration
	// RateLimitWait is how long a throttled account waits when the API gives
	// no estimate (default 15 min; Graph's app-level window is a rolling hour).
	RateLimitWait time.Duration
	// BlockedWait is the least a page temporarily blocked (code 368) waits
	// (default 1 h).
	BlockedWait time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// DefaultVersion is the Graph API version used when none is configured.
const DefaultVersion = "v25.0"

// TokenWarnBefore is how long before a token's expiry Check warns.
const TokenWarnBefore = 7 * 24 * time.Hour

var versionRE = regexp.MustCompile(`^v\d+\.\d+$`)

// Client is a herald.Publisher for one Facebook Page. It is safe for
// concurrent use.
type Client struct {
	cfg     Config
	log     *slog.Logger
	page    *fb.Session // Page token
	app     *fb.Session // app token for debug_token; nil without app id and secret
	secrets []string
}

var _ herald.Publisher = (*Client)(nil)

// New checks cfg, fills its defaults and builds the Graph sessions.
func New(cfg Config, logger *slog.Logger) (*Client, error) {
	if cfg.PageID == "" {
		return nil, errors.New("facebook: page_id is required")
	}
	if cfg.PageAccessToken == "" {
		return nil, errors.New("facebook: page_access_token is required")
	}
	if cfg.GraphBaseURL == "" {
		cfg.GraphBaseURL = "https://graph.facebook.com"
	}
	u, err := url.Parse(cfg.GraphBaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("facebook: graph_base_url %q: must be an http(s) URL", cfg.GraphBaseURL)
	}
	if cfg.GraphVersion == "" {
		cfg.GraphVersion = DefaultVersion
	}
	if !versionRE.MatchString(cfg.GraphVersion) {
		return nil, fmt.Errorf("facebook: graph_version %q: must look like v25.0", cfg.GraphVersion)
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = 30 * time.Second
	}
	if cfg.RateLimitWait <= 0 {
		cfg.RateLimitWait = 15 * time.Minute
	}
	if cfg.BlockedWait <= 0 {
		cfg.BlockedWait = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{cfg: cfg, log: logger.With("network", "facebook", "account", cfg.AccountID)}
	base := strings.TrimSuffix(cfg.GraphBaseURL, "/") + "/" // huandu requires the trailing slash
	hc := newHTTPClient(cfg.HTTPTimeout)
	app := fb.New(cfg.AppID, cfg.AppSecret)
	app.EnableAppsecretProof = cfg.AppSecret != ""
	c.page = c.session(app, cfg.PageAccessToken, base, hc)
	c.secrets = []string{cfg.PageAccessToken}
	if cfg.AppSecret != "" {
		c.secrets = append(c.secrets, cfg.AppSecret, c.page.AppsecretProof())
		if cfg.AppID != "" {
			c.app = c.session(app, app.AppAccessToken(), base, hc)
			c.secrets = append(c.secrets, app.AppAccessToken(), c.app.AppsecretProof())
		}
	}
	return c, nil
}

// session builds a huandu session that sends its token in the Authorization
// header, so it never sits in a URL that could be logged.
func (c *Client) session(app *fb.App, token, base string, hc fb.HttpClient) *fb.Session {
	s := app.Session(token)
	s.BaseURL = base
	s.Version = c.cfg.GraphVersion
	s.HttpClient = hc
	s.UseAuthorizationHeader()
	s.AppsecretProof() // computed once here, so concurrent calls only read it
	return s
}

// Network names the network.
func (c *Client) Network() herald.Network { return herald.Facebook }

func (c *Client) now() time.Time { return c.cfg.Now() }

// call makes one Graph call with ctx, recording what the transport saw.
func (c *Client) call(ctx context.Context, s *fb.Session, method fb.Method, path string, params fb.Params) (fb.Result, *callInfo, error) {
	ctx, call := withCall(ctx)
	res, err := s.WithContext(ctx).Api(path, method, params)
	return res, call, err
}

// Publish posts m.Text as the message and m.Link as the link on the Page.
func (c *Client) Publish(ctx context.Context, m herald.Message) (herald.Receipt, error) {
	if m.ReplyTo != "" {
		return herald.Receipt{}, &herald.Error{Kind: herald.ErrPermanent, Network: herald.Facebook, Op: herald.OpPublish,
			Message: "a Page post cannot reply to another"}
	}
	params := fb.Params{}
	if m.Text != "" {
		params["message"] = m.Text
	}
	if m.Link != "" {
		params["link"] = m.Link
	}
	res, call, err := c.call(ctx, c.page, fb.POST, "/"+c.cfg.PageID+"/feed", params)
	if err != nil {
		return herald.Receipt{}, c.classify(herald.OpPublish, call, err)
	}
	var id string
	if res.DecodeField("id", &id) != nil || id == "" {
		// A 2xx answer without the post id: the post may exist.
		status, _ := call.answer()
		return herald.Receipt{}, &herald.Error{Kind: herald.ErrUnknownOutcome, Network: herald.Facebook,
			Op: herald.OpPublish, Status: status, Message: "answer has no post id"}
	}
	_, header := call.answer()
	now := c.now()
	c.log.Debug("facebook post created", "remote_id", id)
	return herald.Receipt{RemoteID: id, Permalink: Permalink(id), At: now,
		Limits: limitsFrom(header, now, c.cfg.RateLimitWait)}, nil
}

// Permalink is the public URL of a Page post "{page-id}_{post-id}", which
// Facebook redirects to the post.
func Permalink(remoteID string) string {
	page, post, ok := strings.Cut(remoteID, "_")
	if !ok {
		return "https://www.facebook.com/" + remoteID
	}
	return "https://www.facebook.com/" + page + "/posts/" + post
}

// Delete removes a post; one already gone is not an error.
func (c *Client) Delete(ctx context.Context, remoteID string) error {
	if remoteID == "" || strings.ContainsAny(remoteID, "/?#") {
		return &herald.Error{Kind: herald.ErrPermanent, Network: herald.Facebook, Op: herald.OpDelete,
			Message: fmt.Sprintf("invalid post id %q", remoteID)}
	}
	_, call, err := c.call(ctx, c.page, fb.DELETE, "/"+remoteID, nil)
	if err == nil || isGone(err) {
		return nil
	}
	return c.classify(herald.OpDelete, call, err)
}

// isGone reports Graph's answer for an object that does not exist (any more).
func isGone(err error) bool {
	var fe *fb.Error
	if !errors.As(err, &fe) || fe.Code != 100 {
		return false
	}
	return fe.ErrorSubcode == 33 || strings.Contains(fe.Message, "does not exist")
}

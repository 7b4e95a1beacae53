// Package bluesky publishes to a Bluesky account over XRPC with a small typed
// client (the AT Protocol's Go SDK, indigo, is far larger than the eight
// calls Herald makes). It logs in with the handle and an app password
// (com.atproto.server.createSession), keeps and rotates the session's tokens
// in the store (refreshSession), posts an app.bsky.feed.post with link
// facets and an app.bsky.embed.external card (com.atproto.repo.createRecord,
// the thumb with uploadBlob), reads engagement with app.bsky.feed.getPosts,
// reconciles with getAuthorFeed, deletes and checks the session.
package bluesky

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

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/httpjson"
	"github.com/heraldhq/herald/internal/netguard"
)

// Config is one Bluesky account.
type Config struct {
	AccountID string
	// PDSURL is the account's personal data server (default https://bsky.social).
	PDSURL string
	// Handle logs in, e.g. news.example.com.
	Handle string
	// AppPassword is an app password of the account (secret).
	AppPassword string
	// Language is the posts' BCP 47 language for "langs" ("" sends none).
	Language string
	// HTTPTimeout bounds every call end to end (default 30 s).
	HTTPTimeout time.Duration
	// RateLimitWait is how long a throttled account waits when the answer
	// says nothing of its reset (default 5 min).
	RateLimitWait time.Duration
	// MaxImageBytes bounds the card's thumb (default 976,560: Bluesky's limit).
	MaxImageBytes int64
	// ImageGuard is the outbound policy of image fetches: an item's image
	// URL comes from a feed (zero: public addresses only).
	ImageGuard netguard.Guard
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Client is a herald.Publisher for one Bluesky account. It is safe for
// concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL
	hc     *http.Client
	img    *http.Client
	tokens herald.TokenStore
	log    *slog.Logger

	renewMu sync.Mutex // one login or refresh at a time
	mu      sync.Mutex
	sess    session
}

var _ herald.Publisher = (*Client)(nil)

// New checks cfg and fills its defaults. tokens (may be nil) keeps the
// session's rotating tokens across restarts, so Herald does not log in with
// the app password every time (createSession is tightly rate-limited). It
// does no I/O.
func New(cfg Config, tokens herald.TokenStore, logger *slog.Logger) (*Client, error) {
	if cfg.PDSURL == "" {
		cfg.PDSURL = "https://bsky.social"
	}
	u, err := httpjson.ParseBase(cfg.PDSURL)
	if err != nil {
		return nil, fmt.Errorf("bluesky: pds_url %q: %w", cfg.PDSURL, err)
	}
	if cfg.Handle == "" {
		return nil, errors.New("bluesky: handle is required")
	}
	cfg.Handle = strings.TrimPrefix(cfg.Handle, "@")
	if cfg.AppPassword == "" {
		return nil, errors.New("bluesky: app_password is required")
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = 30 * time.Second
	}
	if cfg.RateLimitWait <= 0 {
		cfg.RateLimitWait = 5 * time.Minute
	}
	if cfg.MaxImageBytes <= 0 {
		cfg.MaxImageBytes = 976560
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, base: u, hc: httpjson.NewHTTPClient(cfg.HTTPTimeout), img: newImageClient(cfg.HTTPTimeout, cfg.ImageGuard),
		tokens: tokens, log: logger.With("network", "bluesky", "account", cfg.AccountID)}, nil
}

// Network names the network.
func (c *Client) Network() herald.Network { return herald.Bluesky }

// MaxGraphemes is the longest text a post may have, in grapheme clusters.
const MaxGraphemes = 300

// Publish posts m.Text with a link facet on every link in it and, when
// m.Link is set, a link card (m.Title, m.Description and, when the article
// has an image that can be fetched, a thumb). A thumb that cannot be had is
// left out rather than failing the post.
func (c *Client) Publish(ctx context.Context, m herald.Message) (herald.Receipt, error) {
	s, err := c.session(ctx, herald.OpPublish)
	if err != nil {
		return herald.Receipt{}, err
	}
	rec := c.record(m, c.cfg.Now())
	if m.ReplyTo != "" {
		if rec.Reply, err = c.replyRef(ctx, m.ReplyTo); err != nil {
			return herald.Receipt{}, err
		}
	}
	if m.Link != "" && m.ImageURL != "" {
		thumb, err := c.thumb(ctx, m.ImageURL)
		if err != nil {
			c.log.Warn("bluesky card without a thumb", "image_url", m.ImageURL, "error", err)
		} else {
			rec.Embed.External.Thumb = thumb
		}
	}
	var out struct {
		URI string `json:"uri"`
		CID string `json:"cid"`
	}
	h, err := c.authed(ctx, xcall{op: herald.OpPublish, method: http.MethodPost, nsid: "com.atproto.repo.createRecord",
		body: map[string]any{"repo": s.did, "collection": postCollection, "record": rec}}, &out)
	if err != nil {
		return herald.Receipt{}, err
	}
	if _, _, ok := parseURI(out.URI); !ok {
		return herald.Receipt{}, &herald.Error{Kind: herald.ErrUnknownOutcome, Network: herald.Bluesky,
			Op: herald.OpPublish, Status: http.StatusOK, Message: "answer has no record uri"}
	}
	now := c.cfg.Now()
	c.log.Debug("bluesky post created", "remote_id", out.URI)
	// ratelimit-limit, -remaining and -reset (Unix seconds).
	limits := httpjson.Limits(h, "ratelimit-", now)
	return herald.Receipt{RemoteID: out.URI, Permalink: c.permalink(out.URI), At: now, Limits: limits}, nil
}

const postCollection = "app.bsky.feed.post"

type postRecord struct {
	Type      string    `json:"$type"`
	Text      string    `json:"text"`
	CreatedAt string    `json:"createdAt"`
	Langs     []string  `json:"langs,omitempty"`
	Facets    []facet   `json:"facets,omitempty"`
	Embed     *external `json:"embed,omitempty"`
	Reply     *replyRef `json:"reply,omitempty"`
}

// replyRef is app.bsky.feed.post#replyRef: the thread's first post and the
// post answered.
type replyRef struct {
	Root   strongRef `json:"root"`
	Parent strongRef `json:"parent"`
}

// strongRef is com.atproto.repo.strongRef.
type strongRef struct {
	URI string `json:"uri"`
	CID string `json:"cid"`
}

// replyRef reads the post at uri (getPosts) for the references of a reply
// to it: itself as parent, and its root, or itself when it is no reply.
func (c *Client) replyRef(ctx context.Context, uri string) (*replyRef, error) {
	var out struct {
		Posts []postView `json:"posts"`
	}
	if _, _, ok := parseURI(uri); ok {
		if _, err := c.authed(ctx, xcall{op: herald.OpPublish, method: http.MethodGet, nsid: "app.bsky.feed.getPosts",
			query: url.Values{"uris": {uri}}}, &out); err != nil {
			return nil, err
		}
	}
	if len(out.Posts) == 0 || out.Posts[0].CID == "" {
		return nil, &herald.Error{Kind: herald.ErrPermanent, Network: herald.Bluesky, Op: herald.OpPublish,
			Message: fmt.Sprintf("the post to reply to (%s) is gone", uri)}
	}
	p := out.Posts[0]
	ref := &replyRef{Root: strongRef{URI: p.URI, CID: p.CID}, Parent: strongRef{URI: p.URI, CID: p.CID}}
	if r := p.Record.Reply; r != nil && r.Root.URI != "" {
		ref.Root = r.Root
	}
	return ref, nil
}

type facet struct {
	Index struct {
		ByteStart int `json:"byteStart"`
		ByteEnd   int `json:"byteEnd"`
	} `json:"index"`
	Features []feature `json:"features"`
}

// feature is a facet feature: #link carries uri, #tag carries tag.
type feature struct {
	Type string `json:"$type"`
	URI  string `json:"uri,omitempty"`
	Tag  string `json:"tag,omitempty"`
}

type external struct {
	Type     string `json:"$type"`
	External struct {
		URI         string `json:"uri"`
		Title       string `json:"title"`
		Description string `json:"description"`
		Thumb       *blob  `json:"thumb,omitempty"`
	} `json:"external"`
}

type blob struct {
	Type string `json:"$type"`
	Ref  struct {
		Link string `json:"$link"`
	} `json:"ref"`
	MimeType string `json:"mimeType"`
	Size     int64  `json:"size"`
}

// record builds the post record of m at now.
func (c *Client) record(m herald.Message, now time.Time) postRecord {
	rec := postRecord{Type: postCollection, Text: m.Text, CreatedAt: now.UTC().Format("2006-01-02T15:04:05.000Z"),
		Facets: detectFacets(m.Text)}
	if c.cfg.Language != "" {
		rec.Langs = []string{c.cfg.Language}
	}
	if m.Link != "" {
		rec.Embed = &external{Type: "app.bsky.embed.external"}
		rec.Embed.External.URI, rec.Embed.External.Title, rec.Embed.External.Description = m.Link, m.Title, m.Description
	}
	return rec
}

// parseURI splits at://{did}/{collection}/{rkey}.
func parseURI(uri string) (did, rkey string, ok bool) {
	rest, found := strings.CutPrefix(uri, "at://")
	if !found {
		return "", "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] != postCollection || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

// permalink is the post's page on bsky.app.
func (c *Client) permalink(uri string) string {
	did, rkey, _ := parseURI(uri)
	c.mu.Lock()
	who := c.sess.handle
	if c.sess.did != did || who == "" {
		who = did
	}
	c.mu.Unlock()
	return "https://bsky.app/profile/" + who + "/post/" + rkey
}

// Delete removes a post; one already gone is not an error.
func (c *Client) Delete(ctx context.Context, remoteID string) error {
	s, err := c.session(ctx, herald.OpDelete)
	if err != nil {
		return err
	}
	did, rkey, ok := parseURI(remoteID)
	if !ok || did != s.did {
		return &herald.Error{Kind: herald.ErrPermanent, Network: herald.Bluesky, Op: herald.OpDelete,
			Message: fmt.Sprintf("not a post of this account: %q", remoteID)}
	}
	_, err = c.authed(ctx, xcall{op: herald.OpDelete, method: http.MethodPost, nsid: "com.atproto.repo.deleteRecord",
		body: map[string]string{"repo": did, "collection": postCollection, "rkey": rkey}}, nil)
	return err
}

// Check logs in (or resumes the stored session) and reads getSession.
func (c *Client) Check(ctx context.Context) (herald.Identity, error) {
	var info sessionAnswer
	if _, err := c.authed(ctx, xcall{op: herald.OpCheck, method: http.MethodGet, nsid: "com.atproto.server.getSession"}, &info); err != nil {
		return herald.Identity{}, err
	}
	// No Expires: the session renews itself for as long as the app password works.
	id := herald.Identity{ID: info.DID, Name: "@" + info.Handle}
	if !strings.EqualFold(info.Handle, c.cfg.Handle) && info.DID != c.cfg.Handle {
		id.Warnings = append(id.Warnings, fmt.Sprintf("the session is for @%s, not handle %s", info.Handle, c.cfg.Handle))
	}
	for _, w := range id.Warnings {
		c.log.Warn("bluesky account check", "warning", w)
	}
	return id, nil
}

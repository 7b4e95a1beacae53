package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bluesky emulates the parts of a Bluesky PDS (with its AppView proxy) that
// Herald uses, over XRPC as docs.bsky.app describes them:
// com.atproto.server.createSession, refreshSession and getSession;
// com.atproto.repo.uploadBlob, createRecord and deleteRecord;
// app.bsky.feed.getPosts and getAuthorFeed. Tokens are JWT-shaped, expire
// and rotate; errors are {"error": Name, "message": ...}; answers carry
// ratelimit-limit, -remaining, -reset (Unix seconds) and -policy. Posts are
// validated as the app.bsky.feed.post lexicon says (300 graphemes, 3000
// bytes, facet byte ranges inside the text), and, stricter than a PDS, a
// link facet must cover exactly its link's text. It is an http.Handler and
// safe for concurrent use.
type Bluesky struct {
	// faults injects failures into com.atproto.repo.createRecord.
	faults *Faults

	opts BlueskyOptions
	mux  *http.ServeMux

	viol     violationLog // departures from the published definitions
	mu       sync.Mutex
	rng      *rand.Rand
	accounts map[string]*BlueskyAccount // by DID
	access   map[string]bskyToken       // access JWT → grant
	refresh  map[string]bskyToken       // refresh JWT → grant
	posts    []*bskyPost                // oldest first
	byURI    map[string]*bskyPost
	blobs    map[string]BlueskyBlob // by CID
	windows  map[string]*xWindow
	lastTID  uint64
	seq      int
	simulate bool
	requests *requestLog[BlueskyRequest]
	sessions int // createSession calls served
}

// BlueskyOptions configures a Bluesky. The zero value is a usable sandbox.
type BlueskyOptions struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// AccessTTL and RefreshTTL are the tokens' lifetimes (default 2 h and 90 days).
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// WritePoints is an account's write allowance per hour (default 5000;
	// a create costs 3 points, a delete 1), ReadLimit its reads per 5 minutes
	// (default 3000).
	WritePoints int
	ReadLimit   int
	// MaxBlobSize bounds an upload (default 1,000,000 bytes, a thumb's limit).
	MaxBlobSize int
	// FaultReset is how far ahead an injected 429 puts ratelimit-reset
	// (default 1 s).
	FaultReset time.Duration
	// SimulateEngagement makes counters grow on every read, for the sandbox.
	SimulateEngagement bool
	// Seed makes tokens and simulated engagement repeatable.
	Seed uint64
	// MaxLog bounds the request log (default 10,000).
	MaxLog int
}

// BlueskyAccount is an account the emulation knows.
type BlueskyAccount struct {
	DID         string
	Handle      string
	AppPassword string
}

// BlueskyEngagement is a post's public counters.
type BlueskyEngagement struct {
	Likes, Reposts, Quotes, Replies int64
}

// BlueskyFacet is a link or tag facet of a post: the byte range of the text
// it covers (Text) and the link it points at (URI) or the tag (Tag).
type BlueskyFacet struct {
	ByteStart, ByteEnd int
	Text               string
	URI                string
	Tag                string
}

// BlueskyBlob is an uploaded blob.
type BlueskyBlob struct {
	CID      string
	MimeType string
	Size     int
}

// BlueskyExternal is an app.bsky.embed.external card.
type BlueskyExternal struct {
	URI, Title, Description string
	Thumb                   *BlueskyBlob // nil when the card has none
}

// BlueskyPost is an app.bsky.feed.post record as the emulation stored it.
type BlueskyPost struct {
	URI       string // at://{did}/app.bsky.feed.post/{rkey}
	CID       string
	DID       string
	RKey      string
	Text      string
	CreatedAt string // as the record says
	Langs     []string
	Facets    []BlueskyFacet
	Embed     *BlueskyExternal
	// ReplyRoot and ReplyParent are the URIs of the thread's first post and
	// of the post answered ("" for a post of its own).
	ReplyRoot, ReplyParent string
	Indexed                time.Time
	Deleted                bool
	Engagement             BlueskyEngagement
}

// BlueskyRequest is one request as the emulation saw it.
type BlueskyRequest struct {
	At     time.Time
	Method string
	NSID   string
	DID    string // the caller, "" when unauthenticated
	Status int    // 0 when the connection was dropped
	Error  string // the XRPC error name, "" on success
	Fault  Fault
}

type bskyToken struct {
	did     string
	expires time.Time
}

type bskyPost struct {
	BlueskyPost
	record json.RawMessage // as sent
	set    bool
}

type bskyCall struct {
	did   string
	fault Fault
}

func bskyError(status int, name, msg string) reply {
	return reply{status: status, header: http.Header{}, body: map[string]string{"error": name, "message": msg}}
}

// NewBluesky returns an emulation with no accounts; add them with AddAccount.
func NewBluesky(opts BlueskyOptions) *Bluesky {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	orDefault(&opts.AccessTTL, 2*time.Hour)
	orDefault(&opts.RefreshTTL, 90*24*time.Hour)
	orDefault(&opts.WritePoints, 5000)
	orDefault(&opts.ReadLimit, 3000)
	orDefault(&opts.MaxBlobSize, 1000000)
	orDefault(&opts.FaultReset, time.Second)
	orDefault(&opts.MaxLog, 10000)
	b := &Bluesky{
		faults: &Faults{}, opts: opts,
		rng:      rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x61c8864680b583eb)),
		accounts: map[string]*BlueskyAccount{}, access: map[string]bskyToken{}, refresh: map[string]bskyToken{},
		requests: &requestLog[BlueskyRequest]{max: opts.MaxLog},
		byURI:    map[string]*bskyPost{}, blobs: map[string]BlueskyBlob{}, windows: map[string]*xWindow{},
		simulate: opts.SimulateEngagement,
	}
	b.mux = http.NewServeMux()
	routes := map[string]func(*http.Request, *bskyCall) reply{
		"POST /xrpc/com.atproto.server.createSession":  b.createSession,
		"POST /xrpc/com.atproto.server.refreshSession": b.refreshSession,
		"GET /xrpc/com.atproto.server.getSession":      b.authed(0, b.getSession),
		"POST /xrpc/com.atproto.repo.uploadBlob":       b.authed(1, b.uploadBlob),
		"POST /xrpc/com.atproto.repo.createRecord":     b.authed(3, b.createRecord),
		"POST /xrpc/com.atproto.repo.deleteRecord":     b.authed(1, b.deleteRecord),
		"GET /xrpc/app.bsky.feed.getPosts":             b.authed(0, b.getPosts),
		"GET /xrpc/app.bsky.feed.getAuthorFeed":        b.authed(0, b.getAuthorFeed),
		"GET /xrpc/com.atproto.identity.resolveHandle": b.resolveHandle,
	}
	for pattern, h := range routes {
		b.mux.HandleFunc(pattern, b.handle(h))
	}
	b.mux.HandleFunc("/", b.handle(func(r *http.Request, _ *bskyCall) reply {
		b.viol.add("bluesky %s %s: no such method", r.Method, r.URL.Path)
		return bskyError(http.StatusNotImplemented, "MethodNotImplemented", "Method Not Implemented")
	}))
	return b
}

// StartBluesky serves a new emulation on 127.0.0.1. The caller closes the
// server. It works outside tests too (the sandbox).
func StartBluesky(opts BlueskyOptions) (*Bluesky, *httptest.Server) {
	b := NewBluesky(opts)
	return b, httptest.NewServer(b)
}

func (b *Bluesky) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.mux.ServeHTTP(w, r) }

func (b *Bluesky) handle(h func(*http.Request, *bskyCall) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body := readBody(r, 8<<20)
		c := &bskyCall{}
		if nsid := strings.TrimPrefix(r.URL.Path, "/xrpc/"); r.Pattern != "/" {
			got := keysOf(r.URL.Query())
			if nsid != "com.atproto.repo.uploadBlob" {
				got = append(got, bodyKeys(r, body)...)
			}
			if bad := undocumented(blueskyParams(nsid), got); len(bad) > 0 {
				b.viol.add("bluesky %s: undocumented parameters %v", nsid, bad)
			}
		}
		rep := h(r, c)
		e := BlueskyRequest{At: b.opts.Now(), Method: r.Method, NSID: strings.TrimPrefix(r.URL.Path, "/xrpc/"),
			DID: c.did, Status: rep.served(), Fault: c.fault}
		if m, ok := rep.body.(map[string]string); ok && e.Status >= 400 {
			e.Error = m["error"]
		}
		b.requests.add(e)
		rep.write(w)
	}
}

// authenticate checks the access token and charges cost points against the
// write (cost > 0) or read allowance. Caller holds mu.
func (b *Bluesky) authenticate(r *http.Request, c *bskyCall, cost int) *reply {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		rep := bskyError(http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
		return &rep
	}
	g, known := b.access[tok]
	switch {
	case !known:
		rep := bskyError(http.StatusBadRequest, "InvalidToken", "Token could not be verified")
		return &rep
	case !b.opts.Now().Before(g.expires):
		rep := bskyError(http.StatusBadRequest, "ExpiredToken", "Token has expired")
		return &rep
	}
	c.did = g.did
	name, limit, length := "read", b.opts.ReadLimit, 5*time.Minute
	if cost > 0 {
		name, limit, length = "write", b.opts.WritePoints, time.Hour
	} else {
		cost = 1
	}
	w := b.window(g.did, name, length)
	if w.used+cost > limit {
		rep := bskyError(http.StatusTooManyRequests, "RateLimitExceeded", "Rate Limit Exceeded")
		bskyLimitHeaders(rep.header, w, limit, length)
		return &rep
	}
	w.used += cost
	return nil
}

// authed serves h, holding mu, for a caller whose access token is good,
// after charging cost points (0: a read) against the caller's allowance.
func (b *Bluesky) authed(cost int, h func(*http.Request, *bskyCall) reply) func(*http.Request, *bskyCall) reply {
	return guarded(&b.mu, func(r *http.Request, c *bskyCall) *reply { return b.authenticate(r, c, cost) }, h)
}

// ok is a 200 answer with body and the headers of the caller's write or
// read allowance. Caller holds mu.
func (b *Bluesky) ok(did string, write bool, body any) reply {
	name, limit, length := "read", b.opts.ReadLimit, 5*time.Minute
	if write {
		name, limit, length = "write", b.opts.WritePoints, time.Hour
	}
	rep := reply{status: http.StatusOK, header: http.Header{}, body: body}
	bskyLimitHeaders(rep.header, b.window(did, name, length), limit, length)
	return rep
}

// window returns the account's current fixed window of a limit. Caller holds mu.
func (b *Bluesky) window(did, name string, length time.Duration) *xWindow {
	now := b.opts.Now()
	return currentWindow(b.windows, did+"\x00"+name, now, now.Truncate(length), length)
}

func bskyLimitHeaders(h http.Header, w *xWindow, limit int, length time.Duration) {
	h.Set("ratelimit-limit", strconv.Itoa(limit))
	h.Set("ratelimit-remaining", strconv.Itoa(max(limit-w.used, 0)))
	h.Set("ratelimit-reset", strconv.FormatInt(w.start.Add(length).Unix(), 10))
	h.Set("ratelimit-policy", fmt.Sprintf("%d;w=%d", limit, int(length.Seconds())))
}

// issue makes a new token pair for did. Caller holds mu.
func (b *Bluesky) issue(did string) map[string]any {
	now := b.opts.Now()
	acc := b.jwt(did, "com.atproto.appPass", now, now.Add(b.opts.AccessTTL))
	ref := b.jwt(did, "com.atproto.refresh", now, now.Add(b.opts.RefreshTTL))
	b.access[acc] = bskyToken{did: did, expires: now.Add(b.opts.AccessTTL)}
	b.refresh[ref] = bskyToken{did: did, expires: now.Add(b.opts.RefreshTTL)}
	a := b.accounts[did]
	return map[string]any{"accessJwt": acc, "refreshJwt": ref, "handle": a.Handle, "did": did,
		"active": true, "email": a.Handle + "@mail.example", "emailConfirmed": true}
}

// jwt makes a JWT-shaped token: a real header and claims, a random signature.
func (b *Bluesky) jwt(did, scope string, iat, exp time.Time) string {
	enc := base64.RawURLEncoding
	head, _ := json.Marshal(map[string]string{"typ": "at+jwt", "alg": "ES256K"})
	claims, _ := json.Marshal(map[string]any{"scope": scope, "sub": did, "iat": iat.Unix(), "exp": exp.Unix(),
		"aud": "did:web:pds.example", "jti": strconv.FormatUint(b.rng.Uint64(), 36)})
	sig := make([]byte, 32)
	for i := range sig {
		sig[i] = byte(b.rng.UintN(256))
	}
	return enc.EncodeToString(head) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(sig)
}

func (b *Bluesky) createSession(r *http.Request, c *bskyCall) reply {
	var in struct {
		Identifier string `json:"identifier"`
		Password   string `json:"password"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil || in.Identifier == "" || in.Password == "" {
		return bskyError(http.StatusBadRequest, "InvalidRequest", "Input must have the properties \"identifier\" and \"password\"")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sessions++
	for _, a := range b.accounts {
		if (strings.EqualFold(a.Handle, in.Identifier) || a.DID == in.Identifier) && a.AppPassword == in.Password {
			c.did = a.DID
			body := b.issue(a.DID)
			body["didDoc"] = didDoc(r, a.DID, a.Handle)
			return reply{status: http.StatusOK, body: body}
		}
	}
	return bskyError(http.StatusUnauthorized, "AuthenticationRequired", "Invalid identifier or password")
}

// refreshSession rotates the pair: the refresh token used is spent.
func (b *Bluesky) refreshSession(r *http.Request, c *bskyCall) reply {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	b.mu.Lock()
	defer b.mu.Unlock()
	g, ok := b.refresh[tok]
	switch {
	case !ok:
		return bskyError(http.StatusBadRequest, "InvalidToken", "Token could not be verified")
	case !b.opts.Now().Before(g.expires):
		return bskyError(http.StatusBadRequest, "ExpiredToken", "Token has expired")
	}
	delete(b.refresh, tok)
	c.did = g.did
	return reply{status: http.StatusOK, body: b.issue(g.did)}
}

func (b *Bluesky) getSession(r *http.Request, c *bskyCall) reply {
	a := b.accounts[c.did]
	return b.ok(c.did, false, map[string]any{"handle": a.Handle, "did": a.DID, "active": true})
}

func (b *Bluesky) uploadBlob(r *http.Request, c *bskyCall) reply {
	data, _ := io.ReadAll(r.Body)
	if len(data) > b.opts.MaxBlobSize {
		return bskyError(http.StatusBadRequest, "BlobTooLarge", "This file is too large")
	}
	mime := r.Header.Get("Content-Type")
	if mime == "" {
		mime = "application/octet-stream"
	}
	blob := BlueskyBlob{CID: cidV1(codecRaw, data), MimeType: mime, Size: len(data)}
	b.blobs[blob.CID] = blob
	return b.ok(c.did, true, map[string]any{"blob": map[string]any{
		"$type": "blob", "ref": map[string]string{"$link": blob.CID}, "mimeType": mime, "size": len(data)}})
}

// AddAccount registers (or replaces) an account.
func (b *Bluesky) AddAccount(a BlueskyAccount) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.accounts[a.DID] = &a
}

// expireAccessTokens makes every access token issued so far expired, as
// time passing would; refresh tokens stay good.
func (b *Bluesky) expireAccessTokens() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, g := range b.access {
		g.expires = time.Time{}
		b.access[k] = g
	}
}

// revokeSessions forgets every token of did, as changing the app password does.
func (b *Bluesky) revokeSessions(did string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, tokens := range []map[string]bskyToken{b.access, b.refresh} {
		for k, g := range tokens {
			if g.did == did {
				delete(tokens, k)
			}
		}
	}
}

// Sessions returns how many createSession calls were served.
func (b *Bluesky) Sessions() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sessions
}

// Requests returns the request log, oldest first.
func (b *Bluesky) Requests() []BlueskyRequest {
	return b.requests.all()
}

// Violations lists the requests that departed from the network's published
// definitions (see params.go), refused or not; a conforming client makes none.
func (e *Bluesky) Violations() []string { return e.viol.snapshot() }

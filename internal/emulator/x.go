package emulator

import (
	"cmp"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// XOptions configures the X emulation. The zero value is usable: limits,
// lifetimes and the clock get the real API's defaults.
type XOptions struct {
	// Users are registered at start; AddUser registers more later.
	Users []XUser
	// PostLimit is the number of posts a user may make per Window
	// (default 100, as documented for POST /2/tweets); -1 means unlimited.
	PostLimit int
	// PostLimit24h is the user's 24-hour post allowance reported in the
	// x-user-limit-24hour-* headers (default 2400); -1 means unlimited.
	PostLimit24h int
	// ReadLimit is the per-user allowance per Window of each read endpoint
	// (default 900); -1 means unlimited.
	ReadLimit int
	// Window is the rate-limit window (default 15 minutes).
	Window time.Duration
	// FaultReset is how far in the future x-rate-limit-reset points on an
	// injected 429 (default 1 s, so tests and the sandbox do not stall).
	FaultReset time.Duration
	// LegacyRateLimitBody makes 429 answers on v2 carry the old
	// {"errors":[{"code":88,...}]} body instead of a problem object.
	LegacyRateLimitBody bool
	// AccessTokenLifetime is the lifetime of OAuth 2.0 access tokens issued by
	// POST /2/oauth2/token (default 2 h).
	AccessTokenLifetime time.Duration
	// FieldsParam is the name under which GET /2/tweets and
	// GET /2/users/{id}/tweets take the Post fields: "tweet.fields" (X's
	// documentation and OpenAPI v2.159), "post.fields" (OpenAPI v2.167), or
	// "" for both. The other is then answered as an undeclared parameter.
	FieldsParam string
	// RequestLogSize bounds the request log kept for Requests (default 10,000).
	RequestLogSize int
	// Now is the clock (default time.Now); token expiry, rate windows and
	// simulated engagement follow it.
	Now func() time.Time
}

// XUser is an account the emulation knows, with the credentials that
// authenticate as it. Several users may share one app (consumer key).
type XUser struct {
	ID       string
	Username string
	Name     string // display name (default: Username)
	// OAuth 1.0a: the app's consumer key/secret and the user's access token/secret.
	ConsumerKey       string
	ConsumerSecret    string
	AccessToken       string
	AccessTokenSecret string
	// OAuth 2.0: the app's client credentials (ClientSecret empty for a public
	// client) and the user's current refresh token.
	ClientID     string
	ClientSecret string
	RefreshToken string
	// V11Access grants the v1.1 endpoints; without it they answer 403 code 453
	// as they do on current access levels.
	V11Access bool
}

// XPost is a post the emulation recorded.
type XPost struct {
	ID        string
	UserID    string
	Text      string // exactly as sent
	CreatedAt time.Time
	Deleted   bool
	DeletedAt time.Time
	API       string   // "v2" or "v1.1"
	URLs      []string // links found in the text, as sent (expanded_url)
	InReplyTo string   // the post this one replies to ("" for none)
}

// XMetrics are a post's public counters.
type XMetrics struct {
	Retweets    int64
	Quotes      int64
	Likes       int64
	Replies     int64
	Impressions int64
	Bookmarks   int64
}

// XRequest is one request as the emulation saw it.
type XRequest struct {
	At     time.Time
	Method string
	Path   string
	// Route is the matched pattern, e.g. "POST /2/tweets" ("" when none matched).
	Route  string
	UserID string // "" when not authenticated
	// Auth is "oauth1", "oauth2", "basic" (token endpoint) or "" (none or invalid).
	Auth string
	// SignatureValid reports whether an OAuth 1.0a signature was present and
	// matched the request.
	SignatureValid bool
	Status         int // 0 when the connection was dropped
	Fault          Fault
}

// X emulates the parts of the X API Herald uses: v2 posting, reading,
// deleting and identity, the OAuth 2.0 token endpoint, and the v1.1 status
// endpoints. It is an http.Handler; StartX serves it on loopback.
type X struct {
	// faults are injected into write requests (POST /2/tweets and
	// POST /1.1/statuses/update.json).
	faults *Faults

	opts XOptions
	mux  *http.ServeMux

	viol     violationLog // departures from the published definitions
	mu       sync.Mutex
	users    map[string]*xUser // by ID
	posts    []*xPost
	postIdx  map[string]*xPost
	seq      int64
	windows  map[string]*xWindow
	bearer   map[string]*xBearer // access token → grant
	refresh  map[string]string   // refresh token → user ID
	requests *requestLog[XRequest]
	counts   map[string]int // route → requests served
	live     map[string]int // user ID + "\x00" + text → live posts: the duplicate rule
	simulate bool

	// The flows that connect an account (x_connect.go).
	apps      []XApp
	signedIn  string                    // the user who authorizes on the authorize pages
	codes     map[string]*xCode         // OAuth 2.0 authorization codes
	reqTokens map[string]*xRequestToken // OAuth 1.0a request tokens
}

type xUser struct {
	XUser
	revoked bool
}

type xPost struct {
	XPost
	display  string // text with links rewritten to t.co
	entities []xURLEntity
	metrics  *XMetrics
}

type xBearer struct {
	userID  string
	expires time.Time
}

// NewX returns an X emulation with opts' users registered.
func NewX(opts XOptions) *X {
	opts.PostLimit = cmp.Or(opts.PostLimit, 100)
	opts.PostLimit24h = cmp.Or(opts.PostLimit24h, 2400)
	opts.ReadLimit = cmp.Or(opts.ReadLimit, 900)
	orDefault(&opts.Window, 15*time.Minute)
	orDefault(&opts.FaultReset, time.Second)
	orDefault(&opts.AccessTokenLifetime, 2*time.Hour)
	orDefault(&opts.RequestLogSize, 10000)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	x := &X{
		faults:   &Faults{},
		opts:     opts,
		users:    map[string]*xUser{},
		postIdx:  map[string]*xPost{},
		windows:  map[string]*xWindow{},
		bearer:   map[string]*xBearer{},
		refresh:  map[string]string{},
		counts:   map[string]int{},
		requests: &requestLog[XRequest]{max: opts.RequestLogSize},
		live:     map[string]int{},
	}
	for _, u := range opts.Users {
		x.AddUser(u)
	}
	x.routes()
	return x
}

// StartX serves a new X emulation on 127.0.0.1. The caller closes the server.
// It works outside tests too (the sandbox runs it in-process).
func StartX(opts XOptions) (*X, *httptest.Server) {
	x := NewX(opts)
	return x, httptest.NewServer(x)
}

func (x *X) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /2/tweets", x.handle(x.write(false, x.createPost)))
	m.HandleFunc("DELETE /2/tweets/{id}", x.handle(x.deletePost))
	m.HandleFunc("GET /2/tweets", x.handle(x.lookupPosts))
	m.HandleFunc("GET /2/users/me", x.handle(x.usersMe))
	m.HandleFunc("GET /2/users/{id}/tweets", x.handle(x.userPosts))
	m.HandleFunc("POST /2/oauth2/token", x.handle(x.token))
	m.HandleFunc("POST /2/oauth2/revoke", x.handle(x.revoke))
	m.HandleFunc("GET /i/oauth2/authorize", x.handle(x.authorize2))
	m.HandleFunc("POST /oauth/request_token", x.handle(x.requestToken))
	m.HandleFunc("GET /oauth/authorize", x.handle(x.authorize1))
	m.HandleFunc("POST /oauth/access_token", x.handle(x.accessToken))
	m.HandleFunc("POST /1.1/statuses/update.json", x.handle(x.write(true, x.v11Update)))
	m.HandleFunc("GET /1.1/statuses/lookup.json", x.handle(x.v11Lookup))
	m.HandleFunc("POST /1.1/statuses/destroy/{file}", x.handle(x.v11Destroy))
	m.HandleFunc("GET /1.1/statuses/user_timeline.json", x.handle(x.v11Timeline))
	m.HandleFunc("GET /1.1/account/verify_credentials.json", x.handle(x.v11Verify))
	m.HandleFunc("/", x.handle(x.notFound))
	x.mux = m
}

// ServeHTTP serves the emulated API.
func (x *X) ServeHTTP(w http.ResponseWriter, r *http.Request) { x.mux.ServeHTTP(w, r) }

// xCall is what a handler learns about a request's caller.
type xCall struct {
	user     *xUser
	auth     string
	sigValid bool
	fault    Fault
}

func (x *X) handle(h func(r *http.Request, c *xCall) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		readBody(r, 1<<20)
		c := &xCall{}
		var rep reply
		if bad := xCheckQuery(r, x.opts.FieldsParam); bad != nil {
			x.viol.add("x %s %s: %v", r.Method, r.URL.Path, bad.body.(map[string]any)["errors"])
			rep = *bad
		} else {
			rep = h(r, c)
		}
		entry := XRequest{
			At: x.opts.Now(), Method: r.Method, Path: r.URL.Path, Route: r.Pattern,
			Auth: c.auth, SignatureValid: c.sigValid, Status: rep.served(), Fault: c.fault,
		}
		if c.user != nil {
			entry.UserID = c.user.ID
		}
		x.mu.Lock()
		x.counts[entry.Route]++
		x.mu.Unlock()
		x.requests.add(entry)
		rep.write(w)
	}
}

func (x *X) notFound(r *http.Request, c *xCall) reply {
	x.viol.add("x %s %s: no such endpoint", r.Method, r.URL.Path)
	if strings.HasPrefix(r.URL.Path, "/1.1/") {
		return xV11Error(http.StatusNotFound, 34, "Sorry, that page does not exist.")
	}
	return xProblem(http.StatusNotFound, "Not Found Error", "about:blank", "Sorry, that page does not exist.")
}

// AddUser registers (or replaces) a user and its credentials.
func (x *X) AddUser(u XUser) {
	if u.Name == "" {
		u.Name = u.Username
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.users[u.ID] = &xUser{XUser: u}
	if u.RefreshToken != "" {
		x.refresh[u.RefreshToken] = u.ID
	}
}

// expireUser revokes every credential of a user at once, as when the owner
// revokes the app: OAuth 1.0a access tokens, OAuth 2.0 access and refresh
// tokens all answer 401 from now on. AddUser restores the user.
func (x *X) expireUser(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if u := x.users[id]; u != nil {
		u.revoked = true
	}
	for tok, b := range x.bearer {
		if b.userID == id {
			delete(x.bearer, tok)
		}
	}
	for tok, uid := range x.refresh {
		if uid == id {
			delete(x.refresh, tok)
		}
	}
}

// expireAccessTokens ends the OAuth 2.0 access tokens issued to a user before
// their lifetime is over; refresh tokens keep working.
func (x *X) expireAccessTokens(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for tok, b := range x.bearer {
		if b.userID == id {
			delete(x.bearer, tok)
		}
	}
}

// RefreshToken returns the user's current (latest issued) refresh token, or
// "" when it has none.
func (x *X) RefreshToken(userID string) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.users[userID].currentRefresh()
}

func (u *xUser) currentRefresh() string {
	if u == nil || u.revoked {
		return ""
	}
	return u.RefreshToken
}

// Posts returns every post recorded, deleted ones included, oldest first.
func (x *X) Posts() []XPost {
	return x.PostsByUser("")
}

// PostsByUser returns the posts of one user (all users when id is ""),
// oldest first.
func (x *X) PostsByUser(id string) []XPost {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []XPost
	for _, p := range x.posts {
		if id == "" || p.UserID == id {
			q := p.XPost
			q.URLs = slices.Clone(p.URLs)
			out = append(out, q)
		}
	}
	return out
}

// Post returns one post by id.
func (x *X) Post(id string) (XPost, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p, ok := x.postIdx[id]
	if !ok {
		return XPost{}, false
	}
	return p.XPost, true
}

// DeletePost marks a post deleted, as if its author removed it on x.com.
func (x *X) DeletePost(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	p, ok := x.postIdx[id]
	if !ok || p.Deleted {
		return false
	}
	x.markDeleted(p)
	return true
}

// Requests returns the request log (the most recent RequestLogSize entries
// at least half of the time; older ones are dropped in halves).
func (x *X) Requests() []XRequest {
	return x.requests.all()
}

// Count returns how many requests matched a route, e.g. "POST /2/tweets",
// since the start (not bounded by the log size).
func (x *X) Count(route string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.counts[route]
}

// SetMetrics sets a post's public counters; they replace any simulation for
// that post.
func (x *X) SetMetrics(postID string, m XMetrics) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if p, ok := x.postIdx[postID]; ok {
		p.metrics = &m
	}
}

// SimulateEngagement makes counters of posts without SetMetrics grow with
// their age, deterministically per post, as a sandbox shows them.
func (x *X) SimulateEngagement(on bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.simulate = on
}

// nextID returns a new snowflake-like id: increasing, 19 digits. Caller holds mu.
func (x *X) nextID() string {
	x.seq++
	return strconv.FormatInt(1880000000000000000+x.seq<<12, 10)
}

// markDeleted deletes a live post. Caller holds mu.
func (x *X) markDeleted(p *xPost) {
	p.Deleted, p.DeletedAt = true, x.opts.Now()
	x.live[p.UserID+"\x00"+p.Text]--
}

// livePost returns a post that exists and is not deleted. Caller holds mu.
func (x *X) livePost(id string) *xPost {
	p, ok := x.postIdx[id]
	if !ok || p.Deleted {
		return nil
	}
	return p
}

// Violations lists the requests that departed from the network's published
// definitions (see params.go), refused or not; a conforming client makes none.
func (e *X) Violations() []string { return e.viol.snapshot() }

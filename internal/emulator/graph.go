package emulator

import (
	"bufio"
	"cmp"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// Graph emulates the parts of the Facebook Graph API that Herald uses:
// POST /{page-id}/feed, GET /{post-id}, GET /?ids=, GET /{page-id}/posts,
// GET /me, DELETE /{post-id} and GET /debug_token, under a versioned path
// (/v25.0/...). Answers, error bodies, HTTP statuses and usage headers follow
// the public documentation. It is an http.Handler and safe for concurrent use.
type Graph struct {
	// faults injects failures into POST /{page-id}/feed.
	faults *Faults

	opts GraphOptions

	viol      violationLog // departures from the published definitions
	mu        sync.Mutex
	rng       *rand.Rand
	pages     map[string]*GraphPage // by page id
	tokens    map[string]string     // page access token -> page id
	connect   *graphConnect         // the login flow (graph_connect.go)
	posts     map[string]*graphPost // by post id
	pagePosts map[string][]*graphPost
	seq       int64
	usage     map[string]*usageWindow // "page:{id}" and "app:{id}"
	simulate  bool
	log       []GraphRequest
	proxyErrs int
}

// GraphOptions configures a Graph. The zero value is a usable sandbox.
type GraphOptions struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// DefaultVersion is what an unversioned path is answered as (default "v25.0").
	DefaultVersion string
	// RequireAppsecretProof rejects calls without appsecret_proof for pages
	// whose AppSecret is set, as the app setting "Require App Secret" does.
	RequireAppsecretProof bool
	// PageCallLimit and AppCallLimit are the calls a page (Business Use Case
	// "pages") and an app may make per Window before they are throttled with
	// code PageLimitCode and 4. Zero means DefaultGraphCallLimit. The usage
	// headers report the percentage of these limits.
	PageCallLimit int
	AppCallLimit  int
	// Window is the rate-limit window (default one hour).
	Window time.Duration
	// PageLimitCode is the code of a page over its limit: 80001 (default, the
	// Business Use Case limit that applies to Page tokens) or 32.
	PageLimitCode int
	// ThrottleCode is the code of an injected FaultRateLimit (default 613).
	ThrottleCode int
	// ServerErrorCode, when 1 or 2, makes an injected FaultServerError a
	// Graph error (HTTP 500, that code, is_transient) instead of the default
	// 503 from a proxy with an HTML or empty body.
	ServerErrorCode int
	// RegainAccess is the estimated_time_to_regain_access (whole minutes,
	// rounded up) reported with an injected FaultRateLimit; zero reports 0.
	RegainAccess time.Duration
	// Unscrapable reports links Facebook's crawler cannot read: posting one
	// fails with code 1609005.
	Unscrapable func(link string) bool
	// SimulateEngagement makes counters grow a little on every read, for the sandbox.
	SimulateEngagement bool
	// Seed makes trace ids and simulated engagement repeatable.
	Seed uint64
	// MaxLog bounds the request log (default 10,000; the oldest are dropped).
	MaxLog int
}

// DefaultGraphCallLimit is the per-window call limit used when
// GraphOptions leaves PageCallLimit or AppCallLimit at zero: large enough that
// only a test that means to hit it does.
const DefaultGraphCallLimit = 100000

// GraphPage is a Facebook Page the emulation knows, with its Page access token.
type GraphPage struct {
	ID          string
	Name        string
	AccessToken string
	// AppID and AppSecret identify the app the token was issued to. With
	// AppSecret set, an appsecret_proof sent with the token is verified (and
	// required when GraphOptions.RequireAppsecretProof). The app token
	// "AppID|AppSecret" may call debug_token.
	AppID     string
	AppSecret string
	// ExpiresAt is when the token expires (zero: never, as a long-lived Page token).
	ExpiresAt time.Time
	// DataAccessExpiresAt is reported by debug_token (zero: 90 days from now).
	DataAccessExpiresAt time.Time
	// Scopes are the token's permissions (nil: pages_show_list,
	// pages_read_engagement, pages_manage_posts).
	Scopes []string
}

// GraphEngagement is the public counters of a post.
type GraphEngagement struct {
	Shares    int64
	Reactions int64
	Comments  int64
}

// GraphPost is a post as the emulation recorded it.
type GraphPost struct {
	ID          string // "{page-id}_{post-id}"
	PageID      string
	Message     string
	Link        string
	Published   bool
	ScheduledAt time.Time // zero unless scheduled_publish_time was given
	Created     time.Time
	Deleted     bool
	DeletedAt   time.Time
	// ProofSent and ProofValid say whether the request carried an
	// appsecret_proof and whether it matched HMAC-SHA256(app secret, token).
	ProofSent  bool
	ProofValid bool
	Engagement GraphEngagement
}

// GraphRequest is one request as the emulation saw it.
type GraphRequest struct {
	At      time.Time
	Method  string // after the method= override (huandu sends DELETE as POST)
	Path    string // without the version, e.g. "/123/feed"
	Version string
	// TokenVia says where the access token came from: "header", "query",
	// "form" or "" (none).
	TokenVia   string
	PageID     string // the page the token belongs to, if known
	ProofSent  bool
	ProofValid bool
	Status     int
	Code       int // the Graph error code, 0 on success
	Fault      Fault
}

type graphPost struct {
	GraphPost
	seq int64
}

// NewGraph returns an emulation with no pages; add them with AddPage.
func NewGraph(opts GraphOptions) *Graph {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.DefaultVersion = cmp.Or(opts.DefaultVersion, "v25.0")
	orDefault(&opts.PageCallLimit, DefaultGraphCallLimit)
	orDefault(&opts.AppCallLimit, DefaultGraphCallLimit)
	orDefault(&opts.Window, time.Hour)
	opts.PageLimitCode = cmp.Or(opts.PageLimitCode, 80001)
	opts.ThrottleCode = cmp.Or(opts.ThrottleCode, 613)
	orDefault(&opts.MaxLog, 10000)
	return &Graph{
		faults:    &Faults{},
		opts:      opts,
		rng:       rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5851f42d4c957f2d)),
		pages:     map[string]*GraphPage{},
		tokens:    map[string]string{},
		posts:     map[string]*graphPost{},
		pagePosts: map[string][]*graphPost{},
		seq:       122100000000000000,
		usage:     map[string]*usageWindow{},
		simulate:  opts.SimulateEngagement,
	}
}

// StartGraph starts a Graph on a loopback httptest server. The caller closes
// the server. It is usable outside tests (the daemon's sandbox mode).
func StartGraph(opts GraphOptions) (*Graph, *httptest.Server) {
	g := NewGraph(opts)
	return g, httptest.NewServer(g)
}

// AddPage registers a page and its token, replacing a page with the same ID.
func (g *Graph) AddPage(p GraphPage) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.pages[p.ID]; ok {
		delete(g.tokens, old.AccessToken)
	}
	if p.Scopes == nil {
		p.Scopes = []string{"pages_show_list", "pages_read_engagement", "pages_manage_posts"}
	}
	cp := p
	cp.Scopes = append([]string(nil), p.Scopes...)
	g.pages[p.ID] = &cp
	if p.AccessToken != "" {
		g.tokens[p.AccessToken] = p.ID
	}
}

// expirePage makes the page's token expired from now on (code 190, subcode 463).
func (g *Graph) expirePage(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.pages[id]; ok {
		p.ExpiresAt = g.opts.Now().Add(-time.Second)
	}
}

// Posts returns every post made, deleted ones included, oldest first.
func (g *Graph) Posts() []GraphPost {
	g.mu.Lock()
	defer g.mu.Unlock()
	all := make([]*graphPost, 0, len(g.posts))
	for _, ps := range g.pagePosts {
		all = append(all, ps...)
	}
	slices.SortFunc(all, func(a, b *graphPost) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]GraphPost, len(all))
	for i, p := range all {
		out[i] = p.GraphPost
	}
	return out
}

// PostsByPage returns the page's posts, deleted ones included, oldest first.
func (g *Graph) PostsByPage(pageID string) []GraphPost {
	g.mu.Lock()
	defer g.mu.Unlock()
	ps := g.pagePosts[pageID]
	out := make([]GraphPost, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.GraphPost)
	}
	return out
}

// Post returns one post by id.
func (g *Graph) Post(id string) (GraphPost, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, ok := g.posts[id]
	if !ok {
		return GraphPost{}, false
	}
	return p.GraphPost, true
}

// Requests returns the request log, oldest first.
func (g *Graph) Requests() []GraphRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]GraphRequest(nil), g.log...)
}

// SetEngagement sets a post's counters. It fails for an unknown post.
func (g *Graph) SetEngagement(postID string, e GraphEngagement) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, ok := g.posts[postID]
	if !ok {
		return errUnknownPost(postID)
	}
	p.Engagement = e
	return nil
}

// SimulateEngagement turns growing counters on or off.
func (g *Graph) SimulateEngagement(on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.simulate = on
}

// ServeHTTP answers one Graph API request.
func (g *Graph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &GraphRequest{At: g.opts.Now(), Method: r.Method}
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if !sw.logged {
			rec.Status = sw.status
			g.record(*rec)
		}
	}()
	r.Body = http.MaxBytesReader(sw, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		g.writeError(sw, rec, nil, errBadForm())
		return
	}
	if m := strings.ToUpper(r.Form.Get("method")); m != "" && r.Method == http.MethodPost {
		rec.Method = m // the method override huandu and the JS SDK use
	}
	rec.Version, rec.Path = splitVersion(r.URL.Path)
	if rec.Version == "" {
		rec.Version = g.opts.DefaultVersion
	} else if versionLess(rec.Version, "v22.0") {
		rec.Version = "v22.0" // retired versions are served as the oldest available
	}
	sw.Header().Set("facebook-api-version", rec.Version)
	g.graphCheckParams(r, rec)
	g.route(sw, r, rec)
}

func (g *Graph) record(rec GraphRequest) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.log) >= g.opts.MaxLog {
		g.log = append(g.log[:0], g.log[len(g.log)-g.opts.MaxLog+1:]...)
	}
	g.log = append(g.log, rec)
}

// statusWriter remembers the status written and still lets a fault hijack
// the connection.
type statusWriter struct {
	http.ResponseWriter
	status int
	logged bool // the request was logged before its connection was dropped
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Hijack() (c net.Conn, rw *bufio.ReadWriter, err error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Violations lists the requests that departed from the network's published
// definitions (see params.go), refused or not; a conforming client makes none.
func (e *Graph) Violations() []string { return e.viol.snapshot() }

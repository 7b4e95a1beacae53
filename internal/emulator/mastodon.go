package emulator

import (
	"cmp"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Mastodon emulates the parts of the Mastodon REST API that Herald uses, as
// docs.joinmastodon.org describes them: POST /api/v1/statuses (with
// Idempotency-Key), GET and DELETE /api/v1/statuses/:id,
// GET /api/v1/accounts/verify_credentials and GET /api/v1/accounts/:id/statuses.
// Calls authenticate with a Bearer token; every authenticated answer carries
// X-RateLimit-Limit, -Remaining and -Reset (an ISO 8601 time); errors are
// {"error": "..."} with the documented statuses. It is an http.Handler and
// safe for concurrent use.
type Mastodon struct {
	// faults injects failures into POST /api/v1/statuses.
	faults *Faults

	opts MastodonOptions
	mux  *http.ServeMux

	viol     violationLog // departures from the published definitions
	mu       sync.Mutex
	rng      *rand.Rand
	accounts map[string]*mastoAccount // by token
	statuses []*mastoStatus           // oldest first
	byID     map[string]*mastoStatus
	idem     map[string]mastoIdem // account id + "\x00" + key
	windows  map[string]*xWindow  // account id + "\x00" + limit name
	seq      int64
	simulate bool
	requests *requestLog[MastodonRequest]

	// Connecting an account (mastodon_connect.go).
	signedIn string
	apps     map[string]*mastoApp  // by client ID
	codes    map[string]*mastoCode // authorization codes
}

// MastodonOptions configures a Mastodon. The zero value is a usable sandbox.
type MastodonOptions struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Domain is the server's name in status URLs (default "mastodon.example").
	Domain string
	// MaxChars is the status length limit (default 500) and URLLength what
	// every link counts for (default 23): an instance's
	// configuration.statuses.max_characters and characters_reserved_per_url,
	// served by GET /api/v2/instance.
	MaxChars  int
	URLLength int
	// APILimit is the requests an account may make per APIWindow (default 300
	// per 5 minutes); StatusLimit the statuses it may post per StatusWindow
	// (default 300 per 3 hours), as Mastodon's default throttles.
	APILimit     int
	APIWindow    time.Duration
	StatusLimit  int
	StatusWindow time.Duration
	// IdempotencyTTL is how long an Idempotency-Key is remembered (default 1 h).
	IdempotencyTTL time.Duration
	// FaultReset is how far ahead an injected 429 puts X-RateLimit-Reset
	// (default 1 s).
	FaultReset time.Duration
	// SimulateEngagement makes counters grow on every read, for the sandbox.
	SimulateEngagement bool
	// Seed makes simulated engagement repeatable.
	Seed uint64
	// MaxLog bounds the request log (default 10,000).
	MaxLog int
}

// MastodonAccount is an account the emulation knows, with its access token.
type MastodonAccount struct {
	ID       string
	Username string
	Token    string
	// Scopes granted to the token (nil: "read write").
	Scopes []string
}

// MastodonEngagement is a status's public counters.
type MastodonEngagement struct {
	Reblogs    int64
	Favourites int64
	Replies    int64
}

// MastodonStatus is a status as the emulation recorded it.
type MastodonStatus struct {
	ID             string
	AccountID      string
	Text           string // as posted
	Visibility     string
	Language       string
	IdempotencyKey string
	URL            string
	CardURL        string // the first link in the text, "" when none
	InReplyToID    string // the status this one replies to ("" for none)
	Created        time.Time
	Deleted        bool
	Engagement     MastodonEngagement
}

// MastodonRequest is one request as the emulation saw it.
type MastodonRequest struct {
	At             time.Time
	Method         string
	Path           string
	Route          string
	AccountID      string // "" when the token was missing or unknown
	IdempotencyKey string
	Status         int // 0 when the connection was dropped
	Fault          Fault
}

type mastoAccount struct {
	MastodonAccount
	revoked bool
}

type mastoStatus struct {
	MastodonStatus
	set bool // engagement set by SetEngagement: no simulation
}

type mastoIdem struct {
	statusID string
	at       time.Time
}

// mastoCall is what a handler learns about its caller.
type mastoCall struct {
	acct  *mastoAccount
	key   string
	fault Fault
}

// NewMastodon returns an emulation with no accounts; add them with AddAccount.
func NewMastodon(opts MastodonOptions) *Mastodon {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Domain = cmp.Or(opts.Domain, "mastodon.example")
	orDefault(&opts.MaxChars, 500)
	orDefault(&opts.URLLength, mastoURLLength)
	orDefault(&opts.APILimit, 300)
	orDefault(&opts.APIWindow, 5*time.Minute)
	orDefault(&opts.StatusLimit, 300)
	orDefault(&opts.StatusWindow, 3*time.Hour)
	orDefault(&opts.IdempotencyTTL, time.Hour)
	orDefault(&opts.FaultReset, time.Second)
	orDefault(&opts.MaxLog, 10000)
	m := &Mastodon{
		faults:   &Faults{},
		opts:     opts,
		rng:      rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x2545f4914f6cdd1d)),
		accounts: map[string]*mastoAccount{},
		requests: &requestLog[MastodonRequest]{max: opts.MaxLog},
		byID:     map[string]*mastoStatus{},
		idem:     map[string]mastoIdem{},
		windows:  map[string]*xWindow{},
		simulate: opts.SimulateEngagement,
	}
	m.mux = http.NewServeMux()
	m.mux.HandleFunc("POST /api/v1/statuses", m.handle(m.authed("write:statuses", m.postStatus)))
	m.mux.HandleFunc("GET /api/v1/statuses/{id}", m.handle(m.authed("read:statuses", m.getStatus)))
	m.mux.HandleFunc("DELETE /api/v1/statuses/{id}", m.handle(m.authed("write:statuses", m.deleteStatus)))
	m.mux.HandleFunc("GET /api/v1/accounts/verify_credentials", m.handle(m.authed("read:accounts", m.verifyCredentials)))
	m.mux.HandleFunc("GET /api/v1/accounts/{id}/statuses", m.handle(m.authed("read:statuses", m.accountStatuses)))
	m.mux.HandleFunc("GET /api/v2/instance", m.handle(m.instance))
	m.connectRoutes()
	m.mux.HandleFunc("/", m.handle(func(r *http.Request, _ *mastoCall) reply {
		m.viol.add("mastodon %s %s: no such method", r.Method, r.URL.Path)
		return mastoError(http.StatusNotFound, "Not Found")
	}))
	return m
}

// StartMastodon serves a new emulation on 127.0.0.1. The caller closes the
// server. It works outside tests too (the sandbox).
func StartMastodon(opts MastodonOptions) (*Mastodon, *httptest.Server) {
	m := NewMastodon(opts)
	return m, httptest.NewServer(m)
}

func (m *Mastodon) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

func (m *Mastodon) handle(h func(r *http.Request, c *mastoCall) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b := readBody(r, 1<<20)
		c := &mastoCall{key: r.Header.Get("Idempotency-Key")}
		if r.Pattern != "/" {
			got := append(keysOf(r.URL.Query()), bodyKeys(r, b)...)
			if bad := undocumented(mastodonParams(r.Pattern), got); len(bad) > 0 {
				m.viol.add("mastodon %s: undocumented parameters %v", r.Pattern, bad)
			}
		}
		rep := h(r, c)
		// A proxy's page (raw) carries no Mastodon headers.
		if c.acct != nil && !rep.drop && rep.raw == "" && rep.header.Get("X-RateLimit-Limit") == "" {
			m.mu.Lock()
			m.limitHeaders(rep.header, m.window(c.acct.ID, "api", m.opts.APIWindow), m.opts.APILimit, m.opts.APIWindow)
			m.mu.Unlock()
		}
		e := MastodonRequest{At: m.opts.Now(), Method: r.Method, Path: r.URL.Path, Route: r.Pattern,
			IdempotencyKey: c.key, Status: rep.served(), Fault: c.fault}
		if c.acct != nil {
			e.AccountID = c.acct.ID
		}
		m.requests.add(e)
		rep.write(w)
	}
}

func mastoError(status int, msg string) reply {
	return reply{status: status, header: http.Header{}, body: map[string]string{"error": msg}}
}

// authed serves h, holding mu, for a caller whose token is good and grants
// scope, after charging the call against the caller's API allowance.
func (m *Mastodon) authed(scope string, h func(*http.Request, *mastoCall) reply) func(*http.Request, *mastoCall) reply {
	return guarded(&m.mu, func(r *http.Request, c *mastoCall) *reply { return m.authenticate(r, c, scope) }, h)
}

// authenticate finds the caller's account and charges its API allowance.
// Caller holds mu. A non-nil reply is the refusal.
func (m *Mastodon) authenticate(r *http.Request, c *mastoCall, scope string) *reply {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	a := m.accounts[token]
	if !ok || token == "" || a == nil || a.revoked {
		rep := mastoError(http.StatusUnauthorized, "The access token is invalid")
		rep.header.Set("WWW-Authenticate", `Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"`)
		return &rep
	}
	c.acct = a
	if !hasScope(a.Scopes, scope) {
		rep := mastoError(http.StatusForbidden, "This action is outside the authorized scopes")
		return &rep
	}
	w := m.window(a.ID, "api", m.opts.APIWindow)
	if w.used >= m.opts.APILimit {
		rep := mastoError(http.StatusTooManyRequests, "Too many requests")
		m.limitHeaders(rep.header, w, m.opts.APILimit, m.opts.APIWindow)
		return &rep
	}
	w.used++
	return nil
}

// hasScope reports whether granted covers want ("write" covers "write:statuses").
func hasScope(granted []string, want string) bool {
	if granted == nil {
		granted = []string{"read", "write"}
	}
	top, _, _ := strings.Cut(want, ":")
	return slices.Contains(granted, want) || slices.Contains(granted, top)
}

// window returns the account's current fixed window of a limit. Caller holds mu.
func (m *Mastodon) window(accountID, name string, length time.Duration) *xWindow {
	now := m.opts.Now()
	return currentWindow(m.windows, accountID+"\x00"+name, now, now.Truncate(length), length)
}

func (m *Mastodon) limitHeaders(h http.Header, w *xWindow, limit int, length time.Duration) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(limit-w.used, 0)))
	h.Set("X-RateLimit-Reset", w.start.Add(length).UTC().Format("2006-01-02T15:04:05.000000Z"))
}

// AddAccount registers (or replaces) an account and its token.
func (m *Mastodon) AddAccount(a MastodonAccount) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for t, old := range m.accounts {
		if old.ID == a.ID {
			delete(m.accounts, t)
		}
	}
	m.accounts[a.Token] = &mastoAccount{MastodonAccount: a}
}

// RevokeToken makes an account's token invalid, as revoking the app does.
func (m *Mastodon) revokeToken(token string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.accounts[token]; a != nil {
		a.revoked = true
	}
}

// Posts returns every status made, deleted ones included, oldest first.
func (m *Mastodon) Posts() []MastodonStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]MastodonStatus, len(m.statuses))
	for i, s := range m.statuses {
		out[i] = s.MastodonStatus
	}
	return out
}

// Requests returns the request log, oldest first.
func (m *Mastodon) Requests() []MastodonRequest {
	return m.requests.all()
}

// SetEngagement sets a status's counters; they replace any simulation for it.
func (m *Mastodon) SetEngagement(statusID string, e MastodonEngagement) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.byID[statusID]; s != nil {
		s.Engagement, s.set = e, true
	}
}

// SimulateEngagement makes counters of statuses without SetEngagement grow
// a little on every read, as a sandbox shows them.
func (m *Mastodon) SimulateEngagement(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.simulate = on
}

// DeleteStatus removes a status as its author would on the website.
func (m *Mastodon) DeleteStatus(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.byID[id]
	if s == nil || s.Deleted {
		return false
	}
	s.Deleted = true
	return true
}

// Violations lists the requests that departed from the network's published
// definitions (see params.go), refused or not; a conforming client makes none.
func (e *Mastodon) Violations() []string { return e.viol.snapshot() }

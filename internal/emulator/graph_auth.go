package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// graphAuth is who a request is authenticated as: a Page token or an app
// token ("app_id|app_secret").
type graphAuth struct {
	page  GraphPage // zero for an app token
	appID string
	app   bool
	token string
}

func (a *graphAuth) hasScope(s string) bool { return slices.Contains(a.page.Scopes, s) }

// route dispatches a request whose version has been stripped.
func (g *Graph) route(w http.ResponseWriter, r *http.Request, rec *GraphRequest) {
	segs := strings.FieldsFunc(rec.Path, func(c rune) bool { return c == '/' })
	if len(segs) == 2 && segs[1] == "feed" && rec.Method == http.MethodPost {
		g.handleCreatePost(w, r, rec, segs[0])
		return
	}
	if g.connectRoute(w, r, rec, segs) {
		return
	}
	a, gerr := g.authenticate(r, rec)
	if gerr != nil {
		g.writeError(w, rec, a, gerr)
		return
	}
	switch {
	case len(segs) == 0 && rec.Method == http.MethodGet:
		g.handleIDs(w, r, rec, a)
	case len(segs) == 1 && segs[0] == "debug_token" && rec.Method == http.MethodGet:
		g.handleDebugToken(w, r, rec, a)
	case len(segs) == 1 && segs[0] == "me" && rec.Method == http.MethodGet:
		if a.app {
			g.writeError(w, rec, a, errMeNeedsUser())
			return
		}
		g.handleNode(w, r, rec, a, a.page.ID)
	case len(segs) == 1 && rec.Method == http.MethodGet:
		g.handleNode(w, r, rec, a, segs[0])
	case len(segs) == 1 && rec.Method == http.MethodDelete:
		g.handleDelete(w, rec, a, segs[0])
	case len(segs) == 2 && (segs[1] == "posts" || segs[1] == "feed") && rec.Method == http.MethodGet:
		g.handleList(w, r, rec, a, segs[0])
	case len(segs) == 1:
		g.writeError(w, rec, a, errNoObject(strings.ToLower(rec.Method), segs[0]))
	default:
		g.viol.add("graph %s %s: no such edge", rec.Method, rec.Path)
		g.writeError(w, rec, a, errUnknownPath(rec.Path))
	}
}

// authenticate finds the token, checks it, its appsecret_proof and the rate
// limits. The returned auth is non-nil whenever the token was recognised, so
// that even an error answer carries the usage headers.
func (g *Graph) authenticate(r *http.Request, rec *GraphRequest) (*graphAuth, *graphErr) {
	token, via := tokenFrom(r)
	rec.TokenVia = via
	if token == "" {
		return nil, errNoToken()
	}
	now := g.opts.Now()
	g.mu.Lock()
	a, secret, ok := g.lookupToken(token)
	g.mu.Unlock()
	if !ok {
		return nil, errBadToken()
	}
	rec.PageID = a.page.ID
	if !a.app && !a.page.ExpiresAt.IsZero() && !now.Before(a.page.ExpiresAt) {
		return a, errExpired(a.page.ExpiresAt, now)
	}
	proof := r.Form.Get("appsecret_proof")
	rec.ProofSent = proof != ""
	if proof != "" && secret != "" {
		rec.ProofValid = hmac.Equal([]byte(proof), []byte(appsecretProof(secret, token)))
		if !rec.ProofValid {
			return a, errProof(false)
		}
	}
	if proof == "" && secret != "" && g.opts.RequireAppsecretProof {
		return a, errProof(true)
	}
	return a, g.countCall(a, now)
}

// lookupToken resolves a Page token or an app token; g.mu is held.
func (g *Graph) lookupToken(token string) (*graphAuth, string, bool) {
	if id, ok := g.tokens[token]; ok {
		p := *g.pages[id]
		p.Scopes = append([]string(nil), p.Scopes...)
		return &graphAuth{page: p, appID: p.AppID, token: token}, p.AppSecret, true
	}
	appID, secret, ok := strings.Cut(token, "|")
	if !ok || appID == "" || secret == "" {
		return nil, "", false
	}
	for _, p := range g.pages {
		if p.AppID == appID && p.AppSecret == secret {
			return &graphAuth{appID: appID, app: true, token: token}, secret, true
		}
	}
	return nil, "", false
}

// appsecretProof is hex(HMAC-SHA256(key = app secret, message = token)).
func appsecretProof(secret, token string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// tokenFrom finds the access token in the Authorization header (Bearer or
// OAuth), the query string or the form body, and says where.
func tokenFrom(r *http.Request) (token, via string) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth") {
			return strings.TrimSpace(tok), "header"
		}
	}
	if t := r.URL.Query().Get("access_token"); t != "" {
		return t, "query"
	}
	if t := r.PostForm.Get("access_token"); t != "" {
		return t, "form"
	}
	return "", ""
}

var versionRE = regexp.MustCompile(`^v(\d+)\.(\d+)$`)

// splitVersion splits "/v25.0/123/feed" into "v25.0" and "/123/feed".
func splitVersion(p string) (version, rest string) {
	trimmed := strings.TrimPrefix(p, "/")
	first, after, _ := strings.Cut(trimmed, "/")
	if versionRE.MatchString(first) {
		return first, "/" + after
	}
	return "", p
}

func versionLess(a, b string) bool {
	pa, pb := versionRE.FindStringSubmatch(a), versionRE.FindStringSubmatch(b)
	if pa == nil || pb == nil {
		return false
	}
	am, _ := strconv.Atoi(pa[1])
	bm, _ := strconv.Atoi(pb[1])
	if am != bm {
		return am < bm
	}
	an, _ := strconv.Atoi(pa[2])
	bn, _ := strconv.Atoi(pb[2])
	return an < bn
}

// usageWindow counts calls in a fixed window.
type usageWindow struct {
	start time.Time
	calls int
}

func (a *graphAuth) appKey() string {
	if a.appID != "" {
		return "app:" + a.appID
	}
	return "app:page:" + a.page.ID
}

// countCall counts one call against the app and the page and refuses it when
// either is over its limit (a refused call is not counted).
func (g *Graph) countCall(a *graphAuth, now time.Time) *graphErr {
	g.mu.Lock()
	defer g.mu.Unlock()
	app := g.window(a.appKey(), now)
	if app.calls >= g.opts.AppCallLimit {
		return errThrottle(4, app.start.Add(g.opts.Window).Sub(now))
	}
	if !a.app {
		page := g.window("page:"+a.page.ID, now)
		if page.calls >= g.opts.PageCallLimit {
			return errThrottle(g.opts.PageLimitCode, page.start.Add(g.opts.Window).Sub(now))
		}
		page.calls++
	}
	app.calls++
	return nil
}

// window returns the current window for key, starting a new one when the
// last has ended; g.mu is held.
func (g *Graph) window(key string, now time.Time) *usageWindow {
	w := g.usage[key]
	if w == nil || !now.Before(w.start.Add(g.opts.Window)) {
		w = &usageWindow{start: now}
		g.usage[key] = w
	}
	return w
}

// usageJSON is the value of X-App-Usage and X-Page-Usage, in percent.
type usageJSON struct {
	CallCount    int `json:"call_count"`
	TotalCPUTime int `json:"total_cputime"`
	TotalTime    int `json:"total_time"`
}

type bucUsageJSON struct {
	Type string `json:"type"`
	usageJSON
	EstimatedTimeToRegainAccess int `json:"estimated_time_to_regain_access"`
}

// setUsageHeaders reports usage as a percentage of the limits on every
// answer to a known caller; a throttle reports 100 % and when to come back.
func (g *Graph) setUsageHeaders(w http.ResponseWriter, a *graphAuth, e *graphErr) {
	if a == nil {
		return
	}
	now := g.opts.Now()
	g.mu.Lock()
	app := usageOf(g.window(a.appKey(), now).calls, g.opts.AppCallLimit)
	var page usageJSON
	var pageWin *usageWindow
	if !a.app {
		pageWin = g.window("page:"+a.page.ID, now)
		page = usageOf(pageWin.calls, g.opts.PageCallLimit)
	}
	g.mu.Unlock()
	regain := 0
	if e != nil && e.throttled {
		regain = int((e.regain + time.Minute - 1) / time.Minute)
		if e.code == 4 {
			app = usageJSON{CallCount: 100, TotalCPUTime: max(app.TotalCPUTime, 10), TotalTime: max(app.TotalTime, 10)}
		} else {
			page = usageJSON{CallCount: 100, TotalCPUTime: max(page.TotalCPUTime, 10), TotalTime: max(page.TotalTime, 10)}
		}
	}
	setJSONHeader(w, "X-App-Usage", app)
	if a.app {
		return
	}
	setJSONHeader(w, "X-Page-Usage", page)
	setJSONHeader(w, "X-Business-Use-Case-Usage", map[string][]bucUsageJSON{
		a.page.ID: {{Type: "pages", usageJSON: page, EstimatedTimeToRegainAccess: regain}},
	})
}

func usageOf(calls, limit int) usageJSON {
	pct := min(calls*100/limit, 100)
	return usageJSON{CallCount: pct, TotalCPUTime: pct / 2, TotalTime: pct * 3 / 4}
}

func setJSONHeader(w http.ResponseWriter, name string, v any) {
	b, err := json.Marshal(v)
	if err == nil {
		w.Header().Set(name, string(b))
	}
}

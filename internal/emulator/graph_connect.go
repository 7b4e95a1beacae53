package emulator

import (
	"crypto/hmac"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Connecting a Page, as Facebook Login documents the manual flow: the login
// dialog (GET /{version}/dialog/oauth, on www.facebook.com) redirects with a
// code; GET or POST /oauth/access_token trades the code for a short-lived
// user token (client_id, redirect_uri, client_secret, code), and that for a
// long-lived one (grant_type=fb_exchange_token); GET /me/accounts lists the
// Pages the user manages with a Page token each, which does not expire when
// it comes from a long-lived user token. The dialog approves at once for
// the signed-in user, as after a click on "Continue".

// GraphApp is an app of the Meta developer dashboard with its valid OAuth
// redirect URIs.
type GraphApp struct {
	ID           string
	Secret       string
	RedirectURIs []string
}

// GraphUser is a Facebook user who manages Pages (by ID) and grants an app
// the permissions in Scopes (nil: pages_show_list, pages_read_engagement,
// pages_manage_posts).
type GraphUser struct {
	ID     string
	Name   string
	Pages  []string
	Scopes []string
}

// Token lifetimes as Facebook documents them: a user token from the login
// flow lasts about an hour or two, a long-lived one about 60 days.
const (
	graphShortUserToken = 2 * time.Hour
	graphLongUserToken  = 60 * 24 * time.Hour
	graphCodeLifetime   = 10 * time.Minute
)

type graphUserToken struct {
	userID, appID string
	scopes        []string
	expires       time.Time
	long          bool
}

type graphCode struct {
	appID, redirect, userID string
	scopes                  []string
	expires                 time.Time
}

type graphConnect struct {
	apps     map[string]*GraphApp
	users    map[string]*GraphUser
	signedIn string
	tokens   map[string]*graphUserToken
	codes    map[string]*graphCode
}

// AddApp registers an app for the login flow.
func (g *Graph) AddApp(a GraphApp) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.conn().apps[a.ID] = &a
}

// AddUser registers a user who manages Pages.
func (g *Graph) AddUser(u GraphUser) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if u.Scopes == nil {
		u.Scopes = []string{"pages_show_list", "pages_read_engagement", "pages_manage_posts"}
	}
	g.conn().users[u.ID] = &u
}

// SignIn makes userID the user signed in on the emulated facebook.com.
func (g *Graph) SignIn(userID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.conn().signedIn = userID
}

// UserToken issues a user token for userID and app, as the Graph API
// Explorer gives one (long: a long-lived one).
func (g *Graph) UserToken(userID, appID string, long bool) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.conn()
	u := c.users[userID]
	if u == nil {
		return ""
	}
	return g.issueUserToken(u, appID, u.Scopes, long)
}

// conn returns the flow's state, made on first use. g.mu is held.
func (g *Graph) conn() *graphConnect {
	if g.connect == nil {
		g.connect = &graphConnect{apps: map[string]*GraphApp{}, users: map[string]*GraphUser{},
			tokens: map[string]*graphUserToken{}, codes: map[string]*graphCode{}}
	}
	return g.connect
}

// issueUserToken makes a user token. g.mu is held.
func (g *Graph) issueUserToken(u *GraphUser, appID string, scopes []string, long bool) string {
	life := graphShortUserToken
	if long {
		life = graphLongUserToken
	}
	tok := "EAA" + xRandomToken()
	g.conn().tokens[tok] = &graphUserToken{userID: u.ID, appID: appID, scopes: scopes,
		expires: g.opts.Now().Add(life), long: long}
	return tok
}

func errOAuth(code, subcode int, msg string) *graphErr {
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: code, subcode: subcode, message: msg}
}

// connectRoute serves the flow's endpoints and the user-token calls; it
// reports whether it answered.
func (g *Graph) connectRoute(w http.ResponseWriter, r *http.Request, rec *GraphRequest, segs []string) bool {
	switch {
	case len(segs) == 2 && segs[0] == "dialog" && segs[1] == "oauth" && rec.Method == http.MethodGet:
		g.loginDialog(w, r, rec)
	case len(segs) == 2 && segs[0] == "oauth" && segs[1] == "access_token":
		g.oauthAccessToken(w, r, rec)
	case len(segs) >= 1 && segs[0] == "me" && rec.Method == http.MethodGet:
		tok, _ := tokenFrom(r)
		g.mu.Lock()
		ut := g.conn().tokens[tok]
		g.mu.Unlock()
		if ut == nil {
			return false // a Page token: the usual routes
		}
		g.userCall(w, rec, ut, segs)
	default:
		return false
	}
	return true
}

// loginDialog serves GET /dialog/oauth.
func (g *Graph) loginDialog(w http.ResponseWriter, r *http.Request, rec *GraphRequest) {
	q := r.URL.Query()
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.conn()
	app := c.apps[q.Get("client_id")]
	redirect := q.Get("redirect_uri")
	switch {
	case app == nil:
		http.Error(w, "Invalid App ID: the provided app ID does not look like a valid app ID.", http.StatusBadRequest)
		return
	case !slices.Contains(app.RedirectURIs, redirect):
		http.Error(w, "URL blocked: this redirect failed because the redirect URI is not whitelisted in the app's client OAuth settings.", http.StatusBadRequest)
		return
	}
	u := c.users[c.signedIn]
	if u == nil {
		http.Error(w, "Log in to Facebook to continue.", http.StatusUnauthorized)
		return
	}
	var granted []string
	for _, s := range strings.FieldsFunc(q.Get("scope"), func(r rune) bool { return r == ',' || r == ' ' }) {
		if slices.Contains(u.Scopes, s) {
			granted = append(granted, s)
		}
	}
	back, _ := url.Parse(redirect)
	v := back.Query()
	code := xRandomToken()
	c.codes[code] = &graphCode{appID: app.ID, redirect: redirect, userID: u.ID, scopes: granted,
		expires: g.opts.Now().Add(graphCodeLifetime)}
	v.Set("code", code)
	if s := q.Get("state"); s != "" {
		v.Set("state", s)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// oauthAccessToken serves /oauth/access_token: a code or, with
// grant_type=fb_exchange_token, a user token for a long-lived one.
func (g *Graph) oauthAccessToken(w http.ResponseWriter, r *http.Request, rec *GraphRequest) {
	f := r.Form
	g.mu.Lock()
	c := g.conn()
	app := c.apps[f.Get("client_id")]
	var (
		gerr *graphErr
		tok  string
		long bool
	)
	switch {
	case app == nil:
		gerr = errOAuth(101, 0, "Error validating application. Invalid application ID.")
	case !hmac.Equal([]byte(f.Get("client_secret")), []byte(app.Secret)):
		gerr = errOAuth(1, 0, "Error validating client secret.")
	case f.Get("grant_type") == "fb_exchange_token":
		ut := c.tokens[f.Get("fb_exchange_token")]
		if ut == nil || ut.appID != app.ID || !g.opts.Now().Before(ut.expires) {
			gerr = errOAuth(190, 0, "Invalid OAuth access token - Cannot parse access token")
			break
		}
		tok, long = g.issueUserToken(c.users[ut.userID], app.ID, ut.scopes, true), true
	default:
		code := c.codes[f.Get("code")]
		delete(c.codes, f.Get("code"))
		switch {
		case code == nil || code.appID != app.ID:
			gerr = errOAuth(100, 36009, "This authorization code has been used.")
		case !g.opts.Now().Before(code.expires):
			gerr = errOAuth(100, 36007, "This authorization code has expired.")
		case f.Get("redirect_uri") != code.redirect:
			gerr = errOAuth(100, 36008, "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request")
		default:
			tok = g.issueUserToken(c.users[code.userID], app.ID, code.scopes, false)
		}
	}
	g.mu.Unlock()
	if gerr != nil {
		g.writeError(w, rec, nil, gerr)
		return
	}
	life := graphShortUserToken
	if long {
		life = graphLongUserToken
	}
	g.writeOK(w, nil, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": int(life.Seconds())})
}

// userCall serves GET /me and GET /me/accounts for a user token.
func (g *Graph) userCall(w http.ResponseWriter, rec *GraphRequest, ut *graphUserToken, segs []string) {
	g.mu.Lock()
	if !g.opts.Now().Before(ut.expires) {
		g.mu.Unlock()
		g.writeError(w, rec, nil, errExpired(ut.expires, g.opts.Now()))
		return
	}
	u := g.conn().users[ut.userID]
	if len(segs) == 1 {
		g.mu.Unlock()
		g.writeOK(w, nil, map[string]any{"id": u.ID, "name": u.Name})
		return
	}
	if len(segs) != 2 || segs[1] != "accounts" {
		g.mu.Unlock()
		g.writeError(w, rec, nil, errUnknownPath(rec.Path))
		return
	}
	if !slices.Contains(ut.scopes, "pages_show_list") {
		g.mu.Unlock()
		g.writeError(w, rec, nil, &graphErr{status: http.StatusForbidden, typ: "OAuthException", code: 200,
			message: "(#200) Requires pages_show_list permission to list the user's pages"})
		return
	}
	data := []map[string]any{}
	for _, id := range u.Pages {
		p := g.pages[id]
		if p == nil {
			continue
		}
		// The Page token carries the user's permissions; from a long-lived
		// user token it does not expire.
		tok := "EAA" + xRandomToken()
		p.AccessToken, p.AppID, p.Scopes = tok, ut.appID, slices.Clone(ut.scopes)
		if app := g.conn().apps[ut.appID]; app != nil {
			p.AppSecret = app.Secret
		}
		p.ExpiresAt = time.Time{}
		if !ut.long {
			p.ExpiresAt = ut.expires
		}
		g.tokens[tok] = id
		data = append(data, map[string]any{"access_token": tok, "category": "News & media website",
			"category_list": []map[string]string{{"id": "2211", "name": "News & media website"}},
			"name":          p.Name, "id": p.ID, "tasks": []string{"ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"}})
	}
	g.mu.Unlock()
	g.writeOK(w, nil, map[string]any{"data": data, "paging": map[string]any{"cursors": map[string]string{"before": "QVFIUk1", "after": "QVFIUk2"}}})
}

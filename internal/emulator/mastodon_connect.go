package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Connecting an account, as Mastodon documents it: an app registered with
// POST /api/v1/apps, the authorization page GET /oauth/authorize (which,
// for the out-of-band redirect urn:ietf:wg:oauth:2.0:oob, shows the code),
// POST /oauth/token (grant_type=authorization_code, with PKCE when the
// request had a challenge) and POST /oauth/revoke. The page approves at once
// for the signed-in account, as after a click on "Authorize".

// MastodonOOB is the redirect URI that makes the instance show the code.
const MastodonOOB = "urn:ietf:wg:oauth:2.0:oob"

// mastoCodeLifetime is Doorkeeper's default: codes last 10 minutes.
const mastoCodeLifetime = 10 * time.Minute

type mastoApp struct {
	id, name, clientID, secret string
	redirects, scopes          []string
}

type mastoCode struct {
	clientID, redirect, challenge, method, accountID string
	scopes                                           []string
	expires                                          time.Time
}

// SignIn makes accountID the account signed in on the instance's web pages.
func (m *Mastodon) SignIn(accountID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.signedIn = accountID
}

func (m *Mastodon) connectRoutes() {
	m.apps, m.codes = map[string]*mastoApp{}, map[string]*mastoCode{}
	m.mux.HandleFunc("POST /api/v1/apps", m.handle(m.createApp))
	m.mux.HandleFunc("GET /oauth/authorize", m.authorizePage)
	m.mux.HandleFunc("POST /oauth/token", m.handle(m.oauthToken))
	m.mux.HandleFunc("POST /oauth/revoke", m.handle(m.oauthRevoke))
	m.mux.HandleFunc("GET /api/v1/apps/verify_credentials", m.handle(m.verifyApp))
}

// verifyApp serves GET /api/v1/apps/verify_credentials: the token's
// Application, whose scopes (listed since Mastodon 4.3) are here the
// token's own.
func (m *Mastodon) verifyApp(r *http.Request, c *mastoCall) reply {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rep := m.authenticate(r, c, "read"); rep != nil && rep.status == http.StatusUnauthorized {
		return *rep
	}
	scopes := c.acct.Scopes
	if scopes == nil {
		scopes = []string{"read", "write"}
	}
	return reply{status: http.StatusOK, header: http.Header{}, body: map[string]any{
		"id": "1", "name": "Herald", "website": nil, "scopes": scopes, "redirect_uris": []string{},
	}}
}

// formOrJSON returns the request's parameters, form- or JSON-encoded.
func formOrJSON(r *http.Request) url.Values {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return url.Values{}
		}
		v := url.Values{}
		for k, x := range body {
			switch t := x.(type) {
			case string:
				v.Set(k, t)
			case []any:
				for _, e := range t {
					if s, ok := e.(string); ok {
						v.Add(k, s)
					}
				}
			}
		}
		return v
	}
	_ = r.ParseForm()
	return r.PostForm
}

// createApp serves POST /api/v1/apps.
func (m *Mastodon) createApp(r *http.Request, _ *mastoCall) reply {
	f := formOrJSON(r)
	name := f.Get("client_name")
	var redirects []string
	for _, v := range append(f["redirect_uris"], f["redirect_uris[]"]...) {
		redirects = append(redirects, strings.Fields(v)...)
	}
	if name == "" || len(redirects) == 0 {
		return mastoUnprocessable("Validation failed: client_name and redirect_uris are required")
	}
	for _, u := range redirects {
		if p, err := url.Parse(u); u != MastodonOOB && (err != nil || p.Scheme == "" || p.Host == "") {
			return mastoUnprocessable("Validation failed: Redirect URI must be an absolute URI.")
		}
	}
	scopes := strings.Fields(f.Get("scopes"))
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	a := &mastoApp{id: strconv.FormatInt(m.seq, 10), name: name, clientID: xRandomToken(), secret: xRandomToken(),
		redirects: redirects, scopes: scopes}
	m.apps[a.clientID] = a
	return reply{status: http.StatusOK, header: http.Header{}, body: map[string]any{
		"id": a.id, "name": name, "website": nilIfEmpty(f.Get("website")), "scopes": scopes,
		"redirect_uri": strings.Join(redirects, "\n"), "redirect_uris": redirects,
		"client_id": a.clientID, "client_secret": a.secret, "client_secret_expires_at": 0,
	}}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func mastoUnprocessable(msg string) reply {
	return mastoError(http.StatusUnprocessableEntity, msg)
}

// authorizePage serves GET /oauth/authorize: the signed-in account
// authorizes at once; the browser is redirected with the code, or, out of
// band, the page shows it.
func (m *Mastodon) authorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	m.mu.Lock()
	defer m.mu.Unlock()
	app := m.apps[q.Get("client_id")]
	redirect := q.Get("redirect_uri")
	switch {
	case app == nil:
		http.Error(w, "The client identifier provided is invalid.", http.StatusUnauthorized)
		return
	case !slices.Contains(app.redirects, redirect):
		http.Error(w, "The redirect uri included is not valid.", http.StatusBadRequest)
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		scopes = app.scopes
	}
	bad := ""
	switch {
	case q.Get("response_type") != "code":
		bad = "unsupported_response_type"
	case !allScopesIn(scopes, app.scopes):
		bad = "invalid_scope"
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256" && q.Get("code_challenge_method") != "plain":
		bad = "invalid_request"
	}
	var acct *mastoAccount
	for _, a := range m.accounts {
		if a.ID == m.signedIn {
			acct = a
		}
	}
	if bad == "" && acct == nil {
		http.Error(w, "Log in to authorize the app.", http.StatusUnauthorized)
		return
	}
	if redirect == MastodonOOB {
		if bad != "" {
			http.Error(w, bad, http.StatusBadRequest)
			return
		}
	}
	back, _ := url.Parse(redirect)
	v := back.Query()
	if s := q.Get("state"); s != "" {
		v.Set("state", s)
	}
	if bad != "" {
		v.Set("error", bad)
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
		return
	}
	code := xRandomToken()
	m.codes[code] = &mastoCode{clientID: app.clientID, redirect: redirect, challenge: q.Get("code_challenge"),
		method: q.Get("code_challenge_method"), accountID: acct.ID, scopes: scopes, expires: m.opts.Now().Add(mastoCodeLifetime)}
	if redirect == MastodonOOB {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!DOCTYPE html><html><body><div class="form-container"><p>Copy this authorization code ` +
			`and paste it to the application.</p><input class="oauth-code" readonly type="text" value="` +
			html.EscapeString(code) + `"></div></body></html>`))
		return
	}
	v.Set("code", code)
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func allScopesIn(want, granted []string) bool {
	for _, s := range want {
		if !hasScope(granted, s) {
			return false
		}
	}
	return true
}

func mastoOAuthError(status int, code, desc string) reply {
	return reply{status: status, header: http.Header{}, body: map[string]string{"error": code, "error_description": desc}}
}

// oauthToken serves POST /oauth/token for grant_type=authorization_code.
// A code works once.
func (m *Mastodon) oauthToken(r *http.Request, c *mastoCall) reply {
	f := formOrJSON(r)
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	app := m.apps[id]
	if app == nil || !hmac.Equal([]byte(secret), []byte(app.secret)) {
		return mastoOAuthError(http.StatusUnauthorized, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
	}
	if gt := f.Get("grant_type"); gt != "authorization_code" {
		return mastoOAuthError(http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
	}
	code := m.codes[f.Get("code")]
	delete(m.codes, f.Get("code"))
	invalid := mastoOAuthError(http.StatusBadRequest, "invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.")
	if code == nil || code.clientID != id || code.redirect != f.Get("redirect_uri") || !m.opts.Now().Before(code.expires) {
		return invalid
	}
	if code.challenge != "" {
		got := f.Get("code_verifier")
		if code.method == "S256" {
			sum := sha256.Sum256([]byte(got))
			got = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if f.Get("code_verifier") == "" || !hmac.Equal([]byte(got), []byte(code.challenge)) {
			return invalid
		}
	}
	var acct *mastoAccount
	for _, a := range m.accounts {
		if a.ID == code.accountID {
			acct = a
		}
	}
	if acct == nil {
		return invalid
	}
	tok := xRandomToken()
	m.accounts[tok] = &mastoAccount{MastodonAccount: MastodonAccount{ID: acct.ID, Username: acct.Username, Token: tok,
		Scopes: code.scopes}}
	return reply{status: http.StatusOK, header: http.Header{}, body: map[string]any{
		"access_token": tok, "token_type": "Bearer", "scope": strings.Join(code.scopes, " "),
		"created_at": m.opts.Now().Unix(),
	}}
}

// oauthRevoke serves POST /oauth/revoke.
func (m *Mastodon) oauthRevoke(r *http.Request, _ *mastoCall) reply {
	f := formOrJSON(r)
	m.mu.Lock()
	defer m.mu.Unlock()
	app := m.apps[f.Get("client_id")]
	if app == nil || !hmac.Equal([]byte(f.Get("client_secret")), []byte(app.secret)) {
		return mastoOAuthError(http.StatusForbidden, "unauthorized_client", "You are not authorized to revoke this token")
	}
	if a := m.accounts[f.Get("token")]; a != nil {
		a.revoked = true
	}
	return reply{status: http.StatusOK, header: http.Header{}, body: map[string]any{}}
}

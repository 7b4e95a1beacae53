package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The flows that connect an account, as X documents them: OAuth 2.0
// Authorization Code with PKCE (GET /i/oauth2/authorize on x.com, POST
// /2/oauth2/token with grant_type=authorization_code, POST /2/oauth2/revoke)
// and OAuth 1.0a with a PIN (POST /oauth/request_token with
// oauth_callback=oob, GET /oauth/authorize, POST /oauth/access_token).
// The authorize pages answer as the signed-in user would after a click on
// "Authorize app": the OAuth 2.0 page redirects to the app's callback, the
// OAuth 1.0a page shows the PIN.

// XApp is an app of the developer portal: its OAuth 2.0 client and its
// OAuth 1.0a consumer, and the callback URLs registered for it.
type XApp struct {
	ClientID       string
	ClientSecret   string // empty for a public client
	ConsumerKey    string
	ConsumerSecret string
	CallbackURLs   []string
}

// xCodeLifetime is how long an authorization code can be exchanged: X's
// codes are valid for 30 seconds.
const xCodeLifetime = 30 * time.Second

type xCode struct {
	clientID, redirect, challenge, method, scope, userID string
	expires                                              time.Time
}

type xRequestToken struct {
	consumerKey, secret, verifier, userID string
	authorized                            bool
}

// AddApp registers an app whose flows the emulation answers.
func (x *X) AddApp(a XApp) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ensureConnect()
	x.apps = append(x.apps, a)
}

// SignIn makes userID the user signed in on the emulated x.com: the one who
// authorizes apps on the authorize pages.
func (x *X) SignIn(userID string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.signedIn = userID
}

func (x *X) ensureConnect() {
	if x.codes == nil {
		x.codes = map[string]*xCode{}
		x.reqTokens = map[string]*xRequestToken{}
	}
}

// appByClient and appByConsumer find a registered app. Caller holds mu.
func (x *X) appByClient(id string) *XApp {
	for i := range x.apps {
		if id != "" && x.apps[i].ClientID == id {
			return &x.apps[i]
		}
	}
	return nil
}

func (x *X) appByConsumer(key string) *XApp {
	for i := range x.apps {
		if key != "" && x.apps[i].ConsumerKey == key {
			return &x.apps[i]
		}
	}
	return nil
}

// xErrorPage is the page x.com shows for an authorize request it refuses:
// no redirect, since the redirect URI itself may be the problem.
func xErrorPage(msg string) reply {
	return reply{status: http.StatusBadRequest, header: http.Header{},
		raw: "Something went wrong: " + msg + "\n"}
}

// authorize2 serves GET /i/oauth2/authorize.
func (x *X) authorize2(r *http.Request, c *xCall) reply {
	q := r.URL.Query()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ensureConnect()
	app := x.appByClient(q.Get("client_id"))
	switch {
	case app == nil:
		return xErrorPage("unknown client_id")
	case q.Get("redirect_uri") == "" || !slices.Contains(app.CallbackURLs, q.Get("redirect_uri")):
		return xErrorPage("redirect_uri is not a callback URL registered for the app")
	}
	back, _ := url.Parse(q.Get("redirect_uri"))
	fail := func(code, desc string) reply {
		v := back.Query()
		v.Set("error", code)
		v.Set("error_description", desc)
		if s := q.Get("state"); s != "" {
			v.Set("state", s)
		}
		back.RawQuery = v.Encode()
		return reply{status: http.StatusFound, header: http.Header{"Location": {back.String()}}}
	}
	method := q.Get("code_challenge_method")
	switch {
	case q.Get("response_type") != "code":
		return fail("unsupported_response_type", "response_type must be code")
	case q.Get("state") == "":
		return fail("invalid_request", "state is required")
	case q.Get("code_challenge") == "":
		return fail("invalid_request", "code_challenge is required")
	case method != "S256" && method != "plain":
		return fail("invalid_request", "code_challenge_method must be S256 or plain")
	case q.Get("scope") == "":
		return fail("invalid_scope", "scope is required")
	}
	u := x.users[x.signedIn]
	if u == nil {
		return reply{status: http.StatusOK, header: http.Header{}, raw: "Sign in to X to authorize " + app.ClientID}
	}
	c.user = u
	code := xRandomToken()
	x.codes[code] = &xCode{clientID: app.ClientID, redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"),
		method: method, scope: q.Get("scope"), userID: u.ID, expires: x.opts.Now().Add(xCodeLifetime)}
	v := back.Query()
	v.Set("state", q.Get("state"))
	v.Set("code", code)
	back.RawQuery = v.Encode()
	return reply{status: http.StatusFound, header: http.Header{"Location": {back.String()}}}
}

// exchangeCode answers POST /2/oauth2/token with grant_type=authorization_code.
// A code is spent by any attempt, right or wrong. Caller holds mu.
func (x *X) exchangeCode(r *http.Request, c *xCall) reply {
	x.ensureConnect()
	f := r.PostForm
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID = f.Get("client_id")
	}
	app := x.appByClient(clientID)
	if app == nil {
		return xOAuthError(http.StatusBadRequest, "invalid_request", "Missing required parameter [client_id].")
	}
	if app.ClientSecret != "" && (!basic || !hmac.Equal([]byte(secret), []byte(app.ClientSecret))) {
		return xOAuthError(http.StatusUnauthorized, "unauthorized_client", "Missing valid authorization header")
	}
	code, ok := x.codes[f.Get("code")]
	delete(x.codes, f.Get("code"))
	invalid := xOAuthError(http.StatusBadRequest, "invalid_request", "Value passed for the authorization code was invalid.")
	if !ok || code.clientID != clientID || !x.opts.Now().Before(code.expires) {
		return invalid
	}
	if f.Get("redirect_uri") != code.redirect {
		return xOAuthError(http.StatusBadRequest, "invalid_request", "Value passed for the redirect uri did not match the uri of the authorization code.")
	}
	want := code.challenge
	got := f.Get("code_verifier")
	if code.method == "S256" {
		sum := sha256.Sum256([]byte(got))
		got = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if f.Get("code_verifier") == "" || !hmac.Equal([]byte(got), []byte(want)) {
		return xOAuthError(http.StatusBadRequest, "invalid_request", "Value passed for the code verifier did not match the code challenge.")
	}
	u := x.users[code.userID]
	if u == nil {
		return invalid
	}
	u.revoked = false
	u.ClientID, u.ClientSecret = app.ClientID, app.ClientSecret
	c.user, c.auth = u, "basic"
	access := xRandomToken()
	x.bearer[access] = &xBearer{userID: u.ID, expires: x.opts.Now().Add(x.opts.AccessTokenLifetime)}
	body := map[string]any{
		"token_type":   "bearer",
		"expires_in":   int(x.opts.AccessTokenLifetime.Seconds()),
		"access_token": access,
		"scope":        code.scope,
	}
	if slices.Contains(strings.Fields(code.scope), "offline.access") {
		refresh := xRandomToken()
		x.refresh[refresh] = u.ID
		u.RefreshToken = refresh
		body["refresh_token"] = refresh
	}
	return reply{status: http.StatusOK, header: http.Header{}, body: body}
}

// revoke serves POST /2/oauth2/revoke: the access or refresh token named
// stops working.
func (x *X) revoke(r *http.Request, c *xCall) reply {
	if err := r.ParseForm(); err != nil {
		return xOAuthError(http.StatusBadRequest, "invalid_request", "Malformed request body.")
	}
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID = r.PostForm.Get("client_id")
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	app := x.appByClient(clientID)
	if app == nil {
		return xOAuthError(http.StatusBadRequest, "invalid_request", "Missing required parameter [client_id].")
	}
	if app.ClientSecret != "" && (!basic || !hmac.Equal([]byte(secret), []byte(app.ClientSecret))) {
		return xOAuthError(http.StatusUnauthorized, "unauthorized_client", "Missing valid authorization header")
	}
	c.auth = "basic"
	tok := r.PostForm.Get("token")
	delete(x.bearer, tok)
	delete(x.refresh, tok)
	return reply{status: http.StatusOK, header: http.Header{}, body: map[string]any{"revoked": true}}
}

// requestToken serves POST /oauth/request_token, signed with the app's
// consumer key alone.
func (x *X) requestToken(r *http.Request, c *xCall) reply {
	oauth := xParseOAuthHeader(r.Header.Get("Authorization"))
	x.mu.Lock()
	x.ensureConnect()
	app := x.appByConsumer(oauth["oauth_consumer_key"])
	x.mu.Unlock()
	if app == nil || !xSignatureValid(r, oauth, app.ConsumerSecret, "") {
		return xV11Error(http.StatusUnauthorized, 32, "Could not authenticate you.")
	}
	c.sigValid = true
	cb := oauth["oauth_callback"]
	if cb == "" {
		return xV11Error(http.StatusBadRequest, 0, "oauth_callback is required")
	}
	if cb != "oob" && !slices.Contains(app.CallbackURLs, cb) {
		return xV11Error(http.StatusForbidden, 415, "Callback URL not approved for this client application.")
	}
	tok, secret := xRandomToken(), xRandomToken()
	x.mu.Lock()
	x.reqTokens[tok] = &xRequestToken{consumerKey: app.ConsumerKey, secret: secret}
	x.mu.Unlock()
	return xFormReply(url.Values{"oauth_token": {tok}, "oauth_token_secret": {secret}, "oauth_callback_confirmed": {"true"}})
}

// authorize1 serves GET /oauth/authorize: for an out-of-band request token
// the page shows the PIN, as x.com does after "Authorize app".
func (x *X) authorize1(r *http.Request, c *xCall) reply {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ensureConnect()
	rt := x.reqTokens[r.URL.Query().Get("oauth_token")]
	if rt == nil {
		return xErrorPage("this page is no longer valid: the request token is invalid or was used")
	}
	u := x.users[x.signedIn]
	if u == nil {
		return reply{status: http.StatusOK, header: http.Header{}, raw: "Sign in to X to authorize the app"}
	}
	c.user = u
	rt.authorized, rt.userID = true, u.ID
	if rt.verifier == "" {
		rt.verifier = fmt.Sprintf("%07d", time.Now().UnixNano()%10_000_000)
	}
	page := `<!DOCTYPE html><html><body><div id="oauth_pin"><p><span id="code-desc">Next, return to ` +
		`the app and enter this PIN to complete the authorization process:</span>` +
		`<kbd aria-labelledby="code-desc"><code>` + html.EscapeString(rt.verifier) + `</code></kbd></p></div></body></html>`
	return reply{status: http.StatusOK, header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, raw: page}
}

// accessToken serves POST /oauth/access_token: the request token, signed
// with its secret, and the PIN give the user's access token and secret.
func (x *X) accessToken(r *http.Request, c *xCall) reply {
	oauth := xParseOAuthHeader(r.Header.Get("Authorization"))
	x.mu.Lock()
	x.ensureConnect()
	rt := x.reqTokens[oauth["oauth_token"]]
	app := x.appByConsumer(oauth["oauth_consumer_key"])
	x.mu.Unlock()
	if rt == nil || app == nil || rt.consumerKey != app.ConsumerKey || !xSignatureValid(r, oauth, app.ConsumerSecret, rt.secret) {
		return xV11Error(http.StatusUnauthorized, 89, "Invalid or expired token.")
	}
	c.sigValid = true
	verifier := oauth["oauth_verifier"]
	if verifier == "" {
		if form, _ := xFormBody(r); form != nil {
			verifier = form.Get("oauth_verifier")
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.reqTokens, oauth["oauth_token"])
	if !rt.authorized || verifier != rt.verifier {
		return xV11Error(http.StatusUnauthorized, 0, "Error processing your OAuth request: Invalid oauth_verifier parameter")
	}
	u := x.users[rt.userID]
	if u == nil {
		return xV11Error(http.StatusUnauthorized, 89, "Invalid or expired token.")
	}
	u.revoked = false
	u.ConsumerKey, u.ConsumerSecret = app.ConsumerKey, app.ConsumerSecret
	u.AccessToken, u.AccessTokenSecret = u.ID+"-"+xRandomToken(), xRandomToken()
	c.user = u
	return xFormReply(url.Values{"oauth_token": {u.AccessToken}, "oauth_token_secret": {u.AccessTokenSecret},
		"user_id": {u.ID}, "screen_name": {u.Username}})
}

func xFormReply(v url.Values) reply {
	return reply{status: http.StatusOK, header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, raw: v.Encode()}
}

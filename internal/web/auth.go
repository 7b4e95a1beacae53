package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-chi/httprate"

	"github.com/heraldhq/herald/internal/herald"
)

// Session cookie: "v1.<expiry unix>.<hex HMAC-SHA256(admin token, expiry)>".
// The token itself never leaves the server; changing it ends every session.
const (
	sessionCookie = "herald_session"
	sessionTTL    = 7 * 24 * time.Hour
	sessionLabel  = "herald dashboard session v1|"
)

// The admin forms carry a CSRF token: the HMAC of a random nonce that the
// browser holds in the HttpOnly, SameSite=Strict cookie herald_csrf. A new
// nonce is drawn at each login and logout, so a token serves one session.
// The key is the admin token (several instances behind one proxy accept each
// other's forms), or a per-process key while there is none.
const (
	csrfCookie = "herald_csrf"
	csrfField  = "csrf"
	csrfLabel  = "herald form v1|"
)

// auth decides who may see the admin pages.
type auth struct {
	token    string
	listen   string // the listen address, for the 403 message
	loopback bool   // the server listens on loopback only
	secure   bool   // public_url is https: cookies get the Secure flag
	now      func() time.Time
	// cmpKey keys the HMACs that compare a presented token with the real
	// one, so the comparison takes the same time whatever their lengths.
	cmpKey []byte
	// origin refuses cross-origin form posts by Sec-Fetch-Site and Origin.
	origin *http.CrossOriginProtection
}

func newAuth(token, addr, publicURL string, now func() time.Time) *auth {
	a := &auth{token: token, listen: addr, loopback: isLoopbackAddr(addr), now: now,
		secure: strings.HasPrefix(strings.ToLower(publicURL), "https://"), cmpKey: make([]byte, 32),
		origin: http.NewCrossOriginProtection()}
	_, _ = rand.Read(a.cmpKey)
	return a
}

// isLoopbackAddr reports whether a listen address only accepts local
// connections.
func isLoopbackAddr(addr string) bool { return herald.IsLoopbackAddr(addr) }

// verdict is what auth says about a request to an admin page.
type verdict int

const (
	allowed   verdict = iota
	needLogin         // no credentials: show the login form
	badBearer         // an Authorization header with a wrong token
	refused           // no token configured where one is needed
	viaProxy          // no token, and the request came through a proxy
)

func (a *auth) check(r *http.Request) verdict {
	if a.token == "" {
		switch {
		case !a.loopback:
			return refused
		case forwarded(r):
			// A loopback listener behind a reverse proxy is reachable from
			// anywhere the proxy is: no token, no dashboard.
			return viaProxy
		}
		return allowed
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") && a.equalToken(strings.TrimSpace(tok)) {
			return allowed
		}
		return badBearer
	}
	if c, err := r.Cookie(sessionCookie); err == nil && a.validSession(c.Value) {
		return allowed
	}
	return needLogin
}

// forwarded reports whether a proxy says it forwarded the request.
func forwarded(r *http.Request) bool {
	return r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != ""
}

// equalToken compares presented with the admin token in constant time.
func (a *auth) equalToken(presented string) bool {
	if a.token == "" || presented == "" {
		return false
	}
	return hmac.Equal(a.cmp(presented), a.cmp(a.token))
}

func (a *auth) cmp(s string) []byte {
	m := hmac.New(sha256.New, a.cmpKey)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// sessionMAC is the cookie's signature of an expiry time.
func (a *auth) sessionMAC(exp int64) string {
	m := hmac.New(sha256.New, []byte(a.token))
	m.Write([]byte(sessionLabel + strconv.FormatInt(exp, 10)))
	return hex.EncodeToString(m.Sum(nil))
}

func (a *auth) validSession(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || a.now().Unix() >= exp {
		return false
	}
	return hmac.Equal([]byte(parts[2]), []byte(a.sessionMAC(exp)))
}

// newSession returns the cookie of a session starting now.
func (a *auth) newSession() *http.Cookie {
	exp := a.now().Add(sessionTTL).Unix()
	return &http.Cookie{Name: sessionCookie, Value: "v1." + strconv.FormatInt(exp, 10) + "." + a.sessionMAC(exp),
		Path: "/", MaxAge: int(sessionTTL / time.Second), HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode}
}

// endSession returns the cookie that removes a session.
func (a *auth) endSession() *http.Cookie { return a.expire(sessionCookie) }

// admin guards an admin page.
func (d *dashboard) admin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.s.throttled(w, r) {
			return
		}
		switch d.auth.check(r) {
		case allowed:
			next.ServeHTTP(w, r)
		case needLogin:
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		case badBearer:
			d.s.failedAuth(r, "wrong bearer token")
			w.Header().Set("WWW-Authenticate", `Bearer realm="herald"`)
			d.message(w, http.StatusUnauthorized, "Wrong token", "The bearer token does not match http.admin_token.", "")
		default:
			d.refuse(w, r)
		}
	})
}

// refuse explains why the admin pages are off.
func (d *dashboard) refuse(w http.ResponseWriter, r *http.Request) {
	msg := "Herald listens on " + d.auth.listen + ", beyond loopback, and http.admin_token is not set."
	if d.auth.check(r) == viaProxy {
		msg = "This request came through a proxy and http.admin_token is not set."
	}
	d.message(w, http.StatusForbidden, "Dashboard disabled", msg,
		"Set http.admin_token (or HERALD_HTTP_ADMIN_TOKEN) to a long random value and restart Herald.")
}

// loginPage is the login form's data.
type loginPage struct {
	Next  string
	Error string
	CSRF  string
}

func (d *dashboard) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	switch d.auth.check(r) {
	case refused, viaProxy:
		d.refuse(w, r)
		return
	case allowed:
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	setPageSecurity(w)
	d.page(w, http.StatusOK, "login.html", loginPage{Next: next, CSRF: d.auth.formToken(w, r)})
}

func (d *dashboard) handleLogin(w http.ResponseWriter, r *http.Request) {
	if v := d.auth.check(r); v == refused || v == viaProxy {
		d.refuse(w, r)
		return
	}
	if d.s.throttled(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if !d.auth.validForm(r) {
		d.message(w, http.StatusForbidden, "Forbidden",
			"The login form was posted from another site, or it has expired.", "Open /login again.")
		return
	}
	next := localPath(r.PostFormValue("next"))
	if d.auth.token == "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if !d.auth.equalToken(r.PostFormValue("token")) {
		d.s.failedAuth(r, "wrong login token")
		setPageSecurity(w)
		d.page(w, http.StatusUnauthorized, "login.html", loginPage{Next: next, Error: "Wrong token.",
			CSRF: d.auth.formToken(w, r)})
		return
	}
	http.SetCookie(w, d.auth.newSession())
	http.SetCookie(w, d.auth.newNonce()) // a new session, a new form token
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (d *dashboard) handleLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if !d.auth.validForm(r) {
		d.message(w, http.StatusForbidden, "Forbidden",
			"The logout form was posted from another site, or it has expired.", "")
		return
	}
	http.SetCookie(w, d.auth.endSession())
	http.SetCookie(w, d.auth.expire(csrfCookie))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// formToken returns the CSRF token of the browser's nonce, setting a new
// nonce cookie on w when the request has none.
func (a *auth) formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && validNonce(c.Value) {
		return a.csrfToken(c.Value)
	}
	c := a.newNonce()
	http.SetCookie(w, c)
	return a.csrfToken(c.Value)
}

// validForm reports whether a form post comes from one of this server's
// pages: no browser says it is cross-origin (Sec-Fetch-Site, or Origin when
// not "null") and the form's token matches the browser's nonce cookie.
func (a *auth) validForm(r *http.Request) bool {
	if a.origin.Check(r) != nil {
		return false
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || !validNonce(c.Value) {
		return false
	}
	return hmac.Equal([]byte(r.PostFormValue(csrfField)), []byte(a.csrfToken(c.Value)))
}

func (a *auth) csrfToken(nonce string) string {
	key := a.cmpKey
	if a.token != "" {
		key = []byte(a.token)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(csrfLabel + nonce))
	return hex.EncodeToString(m.Sum(nil))
}

// newNonce returns a cookie holding a new random nonce, kept for the
// browser's session.
func (a *auth) newNonce() *http.Cookie {
	return &http.Cookie{Name: csrfCookie, Value: rand.Text(), Path: "/", HttpOnly: true, Secure: a.secure,
		SameSite: http.SameSiteStrictMode}
}

// validNonce accepts what newNonce makes (base32 text), nothing else.
func validNonce(v string) bool {
	if len(v) < 16 || len(v) > 64 {
		return false
	}
	for _, c := range v {
		if (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// expire returns the cookie that removes cookie name.
func (a *auth) expire(name string) *http.Cookie {
	return &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secure,
		SameSite: http.SameSiteStrictMode}
}

// localPath returns p when it is a path on this server, "/" otherwise (no
// open redirect through ?next=): no scheme, no host, one leading "/", no
// dot segments, and no control characters, line separators or backslashes
// anywhere, as sent or once decoded (up to three times, for double encoding).
func localPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	for s, i := p, 0; ; i++ {
		if !plainPath(s) {
			return "/"
		}
		d, err := url.PathUnescape(s)
		if err != nil || i == 3 && d != s {
			return "/"
		}
		if d == s {
			return p
		}
		s = d
	}
}

// plainPath reports whether s is "/path[?query]" with nothing a browser
// could read as another host.
func plainPath(s string) bool {
	pathPart, _, _ := strings.Cut(s, "?")
	if !strings.HasPrefix(s, "/") || strings.Contains(pathPart, "//") || strings.Contains(pathPart+"/", "/./") ||
		strings.Contains(pathPart+"/", "/../") {
		return false
	}
	for _, c := range s {
		if c == '\\' || unicode.IsControl(c) || unicode.In(c, unicode.Zl, unicode.Zp) || (unicode.IsSpace(c) && c != ' ') {
			return false
		}
	}
	return true
}

// clientIP is the client's address: the peer's, or, when the peer is a
// proxy on loopback, the address that proxy appended to X-Forwarded-For.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(last) != nil {
				return last
			}
		}
	}
	return host
}

// ClientKey names the client of a request for rate limits: its IP (IPv6
// by /64), taken from X-Forwarded-For when the peer is a proxy on loopback.
func ClientKey(r *http.Request) string { return httprate.CanonicalizeIP(clientIP(r)) }

// clientKey is ClientKey for httprate.
func clientKey(r *http.Request) (string, error) { return ClientKey(r), nil }

// throttled answers 429 when the client has failed authentication
// maxAuthFailures times this minute, and reports whether it did.
func (s *Server) throttled(w http.ResponseWriter, r *http.Request) bool {
	if s.authFailures.Allow(ClientKey(r)) {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(s.authFailures.RetryAfter()))
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "too many failed authentications: slow down", http.StatusTooManyRequests)
	return true
}

// failedAuth counts and logs a failed authentication.
func (s *Server) failedAuth(r *http.Request, what string) {
	s.authFailures.Add(ClientKey(r))
	s.logger.Warn("authentication refused", "what", what, "client", clientIP(r), "path", r.URL.Path)
}

// checkHost answers 421 to a request whose Host is not one the server
// answers to (see loopbackHosts).
func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hostAllowed != nil && !s.hostAllowed(r.Host) {
			s.logger.Warn("request for another host refused", "host", printableHost(r.Host), "client", clientIP(r))
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "this server does not answer to that host name", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHosts returns the Host names a server without an admin token
// answers: loopback IPs, "localhost", and public_url's host. Any other name
// may be an attacker's, rebound to 127.0.0.1 so that a browser's page of
// that site can read what only this machine should.
func loopbackHosts(publicURL string) func(host string) bool {
	public := ""
	if u, err := url.Parse(publicURL); err == nil {
		public = strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	}
	return func(hostport string) bool {
		host := hostport
		if h, _, err := net.SplitHostPort(hostport); err == nil {
			host = h
		}
		if herald.IsLoopbackHost(host) {
			return true
		}
		host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
		return host != "" && host == public
	}
}

// printableHost keeps a Host header fit for a log line.
func printableHost(h string) string {
	if len(h) > 100 {
		h = h[:100]
	}
	return strconv.Quote(h)
}

// guardProbe asks for the admin token (a bearer header, as Prometheus sends
// it) on /metrics and /readyz when the server listens beyond loopback or the
// request came through a proxy, unless http.public_metrics is set.
func (s *Server) guardProbe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := s.probeAuth
		if a == nil || (a.loopback && !forwarded(r)) {
			next.ServeHTTP(w, r)
			return
		}
		if s.throttled(w, r) {
			return
		}
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if strings.EqualFold(scheme, "Bearer") && a.equalToken(strings.TrimSpace(tok)) {
			next.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("Authorization") != "" {
			s.failedAuth(r, "wrong bearer token")
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="herald"`)
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "this needs the admin token (Authorization: Bearer), or http.public_metrics: true", http.StatusUnauthorized)
	})
}

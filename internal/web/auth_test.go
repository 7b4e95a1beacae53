package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestIsLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.0.0.2:80": true, "[::1]:8080": true, "localhost:8080": true, "127.0.0.1:0": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "10.0.0.5:8080": false, "herald.internal:8080": false, "": false,
	} {
		if got := isLoopbackAddr(addr); got != want {
			t.Errorf("%q: %v, want %v", addr, got, want)
		}
	}
}

func TestDashboardLoopbackWithoutToken(t *testing.T) {
	f := newDashFixture(t, nil)
	resp, body := f.get("/", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, topTitle) {
		t.Fatalf("loopback, no token: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, "Log out") {
		t.Error("no session, no logout button")
	}
	// Through a reverse proxy the loopback listener is public.
	resp, body = f.get("/", func(r *http.Request) { r.Header.Set("X-Forwarded-For", "203.0.113.9") })
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "http.admin_token") || strings.Contains(body, topTitle) {
		t.Errorf("via proxy, no token: %d\n%s", resp.StatusCode, body)
	}
}

func TestDashboardBeyondLoopbackNeedsToken(t *testing.T) {
	f := newDashFixture(t, func(o *Options, _ *DashboardOptions) { o.Addr = "0.0.0.0:8080" })
	for _, path := range []string{"/", "/?since=7d", "/login"} {
		resp, body := f.get(path, nil)
		if resp.StatusCode != http.StatusForbidden || missing(body, "0.0.0.0:8080", "http.admin_token", "HERALD_HTTP_ADMIN_TOKEN") != "" ||
			strings.Contains(body, topTitle) {
			t.Errorf("%s: %d\n%s", path, resp.StatusCode, body)
		}
	}
	resp, _ := f.do(http.MethodPost, "/login", strings.NewReader("token=x"), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	})
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("POST /login: %d %v", resp.StatusCode, resp.Cookies())
	}
	// The public routes stay public.
	for _, path := range []string{"/api/popular", "/widget/popular", "/s/" + f.seed.jobs[f.seed.top][0].ShortCode, "/static/dashboard.css"} {
		if resp, _ := f.get(path, nil); resp.StatusCode >= 400 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}

func tokenFixture(t *testing.T, publicURL string) *dashFixture {
	return newDashFixture(t, func(o *Options, d *DashboardOptions) {
		o.Addr, o.PublicURL, d.AdminToken = "0.0.0.0:8080", publicURL, adminToken
	})
}

func TestDashboardBearer(t *testing.T) {
	f := tokenFixture(t, "http://herald.example")
	resp, body := f.get("/", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+adminToken) })
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, topTitle) {
		t.Fatalf("right bearer: %d", resp.StatusCode)
	}
	for _, h := range []string{"Bearer wrong", "Bearer " + adminToken + "x", "Bearer " + adminToken[:10], "Basic " + adminToken, "Bearer"} {
		resp, body := f.get("/", func(r *http.Request) { r.Header.Set("Authorization", h) })
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, topTitle) || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%q: %d", h, resp.StatusCode)
		}
	}
	resp, _ = f.get("/?since=7d", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next="+url.QueryEscape("/?since=7d") {
		t.Errorf("no credentials: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// login posts the login form as the browser that opened it.
func (f *dashFixture) login(token, next string, edit func(*http.Request)) *http.Response {
	f.t.Helper()
	nonce, csrf := f.formToken()
	form := url.Values{"token": {token}, "next": {next}, csrfField: {csrf}}
	resp, _ := f.do(http.MethodPost, "/login", strings.NewReader(form.Encode()), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: nonce})
		if edit != nil {
			edit(r)
		}
	})
	return resp
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

// formToken opens the login form once and returns the nonce cookie it set
// and the form's CSRF token.
func (f *dashFixture) formToken() (nonce, token string) {
	f.t.Helper()
	if f.nonce == "" {
		resp, body := f.get("/login", nil)
		for _, c := range resp.Cookies() {
			if c.Name == csrfCookie {
				f.nonce = c.Value
				if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
					f.t.Errorf("nonce cookie attributes: %+v", c)
				}
			}
		}
		m := csrfInput.FindStringSubmatch(body)
		if f.nonce == "" || m == nil {
			f.t.Fatalf("the login form has no CSRF token: %d %v\n%s", resp.StatusCode, resp.Cookies(), body)
		}
		f.csrf = m[1]
	}
	return f.nonce, f.csrf
}

func sessionOf(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

func TestDashboardLoginCookie(t *testing.T) {
	f := tokenFixture(t, "https://herald.example")
	resp, body := f.get("/login?next=/%3Fsince%3D7d", nil)
	if resp.StatusCode != http.StatusOK || missing(body, `type="password"`, `name="next" value="/?since=7d"`) != "" {
		t.Fatalf("login form: %d\n%s", resp.StatusCode, body)
	}
	resp = f.login("wrong-token", "/", nil)
	if resp.StatusCode != http.StatusUnauthorized || sessionOf(resp) != nil {
		t.Errorf("wrong token: %d %v", resp.StatusCode, resp.Cookies())
	}
	resp = f.login(adminToken, "/?since=7d", nil)
	c := sessionOf(resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?since=7d" || c == nil {
		t.Fatalf("login: %d %q %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge <= 0 {
		t.Errorf("cookie attributes: %+v", c)
	}
	if strings.Contains(c.Value, adminToken) || strings.Contains(c.Raw, adminToken) {
		t.Errorf("the cookie holds the token: %q", c.Raw)
	}
	withCookie := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: sessionCookie, Value: v}) }
	}
	resp, body = f.get("/", withCookie(c.Value))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, topTitle) || !strings.Contains(body, "Log out") {
		t.Errorf("with the session: %d", resp.StatusCode)
	}
	// Forged or expired sessions.
	parts := strings.Split(c.Value, ".")
	for _, v := range []string{
		"v1." + parts[1] + "." + strings.Repeat("0", 64),
		"v1." + "9999999999" + "." + parts[2],
		adminToken, "", "v1..",
	} {
		if resp, _ := f.get("/", withCookie(v)); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("forged cookie %q: %d", v, resp.StatusCode)
		}
	}
	f.clock.Advance(sessionTTL + time.Second)
	if resp, _ := f.get("/", withCookie(c.Value)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("expired session: %d", resp.StatusCode)
	}

	// Logging out takes the logout form's token.
	if resp, _ = f.do(http.MethodPost, "/logout", nil, withCookie(c.Value)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout without the form's token: %d", resp.StatusCode)
	}
	nonce, csrf := f.formToken()
	resp, _ = f.do(http.MethodPost, "/logout", strings.NewReader(csrfField+"="+csrf), func(r *http.Request) {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.Value})
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: nonce})
	})
	if out := sessionOf(resp); resp.StatusCode != http.StatusSeeOther || out == nil || out.MaxAge >= 0 || out.Value != "" {
		t.Errorf("logout: %d %v", resp.StatusCode, resp.Cookies())
	}
}

func TestLoginRedirectsAndOrigin(t *testing.T) {
	f := tokenFixture(t, "http://herald.example")
	for next, want := range map[string]string{
		"/?by=score": "/?by=score", "https://evil.example/": "/", "//evil.example/": "/", "/\\evil.example": "/", "": "/",
	} {
		resp := f.login(adminToken, next, nil)
		if resp.Header.Get("Location") != want {
			t.Errorf("next=%q: %q, want %q", next, resp.Header.Get("Location"), want)
		}
		if c := sessionOf(resp); c == nil || c.Secure {
			t.Errorf("next=%q: cookie %+v (public_url is http: not Secure)", next, c)
		}
	}
	resp := f.login(adminToken, "/", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") })
	if resp.StatusCode != http.StatusForbidden || sessionOf(resp) != nil {
		t.Errorf("cross-site login: %d", resp.StatusCode)
	}
	resp = f.login(adminToken, "/", func(r *http.Request) { r.Header.Set("Origin", f.ts.URL) })
	if resp.StatusCode != http.StatusSeeOther || sessionOf(resp) == nil {
		t.Errorf("same-site login: %d", resp.StatusCode)
	}
}

// TestLoginFormToken: the pages send no referrer, so a browser posts their
// forms with "Origin: null"; the form's token, not the origin, tells them
// from a post made by another site.
func TestLoginFormToken(t *testing.T) {
	f := tokenFixture(t, "http://herald.example")
	browser := func(site string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Origin", "null"); r.Header.Set("Sec-Fetch-Site", site) }
	}
	if resp := f.login(adminToken, "/", browser("same-origin")); resp.StatusCode != http.StatusSeeOther || sessionOf(resp) == nil {
		t.Errorf("a browser's own login form: %d", resp.StatusCode)
	}
	if resp := f.login(adminToken, "/", browser("cross-site")); resp.StatusCode != http.StatusForbidden || sessionOf(resp) != nil {
		t.Errorf("a cross-site post: %d", resp.StatusCode)
	}
	nonce, csrf := f.formToken()
	for name, c := range map[string]struct{ nonce, csrf string }{
		"no token":        {nonce, ""},
		"no cookie":       {"", csrf},
		"other nonce":     {"AAAAAAAAAAAAAAAAAAAAAAAAAA", csrf},
		"forged token":    {nonce, strings.Repeat("0", 64)},
		"token as nonce":  {csrf, csrf},
		"bad nonce chars": {"<script>" + nonce, csrf},
	} {
		form := url.Values{"token": {adminToken}, "next": {"/"}, csrfField: {c.csrf}}
		resp, _ := f.do(http.MethodPost, "/login", strings.NewReader(form.Encode()), func(r *http.Request) {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if c.nonce != "" {
				r.AddCookie(&http.Cookie{Name: csrfCookie, Value: c.nonce})
			}
			browser("same-origin")(r)
		})
		if resp.StatusCode != http.StatusForbidden || sessionOf(resp) != nil {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	// A login draws a new nonce: the session's forms carry their own token.
	resp := f.login(adminToken, "/", nil)
	var fresh string
	for _, c := range resp.Cookies() {
		if c.Name == csrfCookie {
			fresh = c.Value
		}
	}
	if fresh == "" || fresh == nonce {
		t.Errorf("login kept the nonce: %v", resp.Cookies())
	}
	_, body := f.get("/", func(r *http.Request) {
		r.AddCookie(sessionOf(resp))
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: fresh})
	})
	if m := csrfInput.FindStringSubmatch(body); m == nil || m[1] == csrf {
		t.Errorf("the logout form's token is not the session's: %v", m)
	}
}

func TestRateLimit(t *testing.T) {
	f := newDashFixture(t, func(_ *Options, d *DashboardOptions) { d.RateLimit = 3 })
	for i := range 3 {
		if resp, _ := f.get("/api/popular", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := f.get("/api/popular", nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, `"error"`) {
		t.Errorf("4th request: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// The budget is per client and shared by the public routes.
	if resp, _ := f.get("/widget/popular", nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("widget after the budget: %d", resp.StatusCode)
	}
	if resp, _ := f.get("/s/"+f.seed.jobs[f.seed.top][0].ShortCode, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("short link after the budget: %d", resp.StatusCode)
	}
	other := func(r *http.Request) { r.Header.Set("X-Forwarded-For", "198.51.100.7") }
	if resp, _ := f.get("/api/popular", other); resp.StatusCode != http.StatusOK {
		t.Errorf("another client behind the local proxy: %d", resp.StatusCode)
	}
	// The dashboard is not limited by the public budget.
	if resp, _ := f.get("/", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("dashboard: %d", resp.StatusCode)
	}
}

func TestLoginRateLimited(t *testing.T) {
	f := tokenFixture(t, "http://herald.example")
	var last int
	for range loginRateLimit + 1 {
		last = f.login("guess", "/", nil).StatusCode
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("login attempt %d: %d", loginRateLimit+1, last)
	}
}

func TestClientIP(t *testing.T) {
	for _, c := range []struct{ remote, xff, want string }{
		{"203.0.113.5:1234", "", "203.0.113.5"},
		{"203.0.113.5:1234", "198.51.100.1", "203.0.113.5"}, // not from a local proxy: ignored
		{"127.0.0.1:1234", "10.1.1.1, 198.51.100.1", "198.51.100.1"},
		{"127.0.0.1:1234", "garbage", "127.0.0.1"},
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := clientIP(r); got != c.want {
			t.Errorf("%+v: %q", c, got)
		}
	}
}

// TestFailedAuthThrottled: wrong bearer tokens and wrong login tokens share
// one budget per client; past it the client is refused before its
// credentials are looked at, until the next minute.
func TestFailedAuthThrottled(t *testing.T) {
	f := tokenFixture(t, "http://herald.example")
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	for i := range maxAuthFailures - 1 {
		if resp, _ := f.get("/", bearer("guess")); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, resp.StatusCode)
		}
	}
	if resp := f.login("guess", "/", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("login guess: %d", resp.StatusCode)
	}
	for name, edit := range map[string]func(*http.Request){"wrong": bearer("guess"), "right": bearer(adminToken)} {
		if resp, _ := f.get("/", edit); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s bearer past the budget: %d", name, resp.StatusCode)
		}
	}
	if resp := f.login(adminToken, "/", nil); resp.StatusCode != http.StatusTooManyRequests || sessionOf(resp) != nil {
		t.Errorf("login past the budget: %d", resp.StatusCode)
	}
	other := func(r *http.Request) { r.Header.Set("X-Forwarded-For", "198.51.100.7"); bearer(adminToken)(r) }
	if resp, _ := f.get("/", other); resp.StatusCode != http.StatusOK {
		t.Errorf("another client: %d", resp.StatusCode)
	}
	f.clock.Advance(time.Minute)
	if resp, _ := f.get("/", bearer(adminToken)); resp.StatusCode != http.StatusOK {
		t.Errorf("the next minute: %d", resp.StatusCode)
	}
}

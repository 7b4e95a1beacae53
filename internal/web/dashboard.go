package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/go-chi/httprate"

	"github.com/heraldhq/herald/internal/herald"
)

// DefaultRateLimit is how many requests per minute one client may make to
// the public routes (/api/popular, /widget/popular, /s/{code}).
const DefaultRateLimit = 120

// loginRateLimit bounds login attempts per client and minute.
const loginRateLimit = 10

// maxAuthFailures is how many failed authentications (bearer tokens, login
// tokens) one client may make a minute; past it, 429 until the next minute.
const maxAuthFailures = 10

// DashboardOptions configures the reporting routes added by EnableDashboard.
type DashboardOptions struct {
	// AdminToken (http.admin_token) guards the dashboard. Empty is allowed
	// only while the server listens on loopback; otherwise the dashboard
	// answers 403 and asks the operator to set it.
	AdminToken string
	// Weights score the rankings (ranking.weights; zero: herald.DefaultWeights).
	Weights herald.Weights
	// Shortlinks serves GET /s/{code} (the shortlinks key).
	Shortlinks bool
	// ShortlinkTarget is where a short link sends its reader: the article URL
	// tagged with the account's UTM parameters. Nil or "": the article URL.
	ShortlinkTarget func(herald.Job) string
	// RateLimit is the requests per minute one client may make to the public
	// routes (default DefaultRateLimit).
	RateLimit int
	// PublicMetrics (http.public_metrics) serves /metrics and /readyz without
	// the admin token beyond loopback too.
	PublicMetrics bool
	// MaxSince (ranking.collect_for) is the longest window /api/popular and
	// the widget serve (0: any).
	MaxSince time.Duration
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// dashboard serves the reporting routes of one Server.
type dashboard struct {
	s       *Server
	opts    DashboardOptions
	pages   *template.Template
	auth    *auth
	popular *popularCache
	links   *shortLinks
}

// EnableDashboard adds the reporting routes to the server:
//
//	GET  /                  the dashboard (admin): top stories with shares per network,
//	                        engagement over time, queue, failures, accounts, sources;
//	                        ?since=24h|7d|30d &network=twitter|facebook|mastodon|bluesky &by=shares|score|...
//	GET  /login, POST /login, POST /logout   the admin session
//	GET  /api/popular       the ranking as JSON (public)
//	GET  /widget/popular    an embeddable HTML fragment (public)
//	GET  /widget/popular.js a script that fills <div data-herald-popular> boxes (public)
//	GET  /s/{code}          302 to the article, counting human clicks (public; with o.Shortlinks)
//	GET  /v/{article}, GET /v?url=  the page-view beacon, a 1x1 GIF (public; see viewBeacon)
//	GET  /static/dashboard.css
//
// /api/popular takes since (24h, 7d, 2w, 36h; default 24h), by (shares,
// score, reactions, comments, clicks, views), network (twitter or x, facebook,
// mastodon, bluesky), section, limit (default 20, at most 100: larger is
// capped) and trending (true/false), and answers the JSON array of `herald
// report --format json` (each story's totals and its figures on each network:
// twitter, facebook, mastodon, bluesky); a bad parameter is 400
// {"error","field"}. Answers
// carry Access-Control-Allow-Origin: *, Cache-Control: public, max-age=60
// and an ETag (If-None-Match gives 304); each distinct query is computed at
// most once every 30 s. /widget/popular takes the same parameters (limit
// default 5) and title (the heading; default "Popular on X", "Popular on
// Facebook", "Popular on Mastodon", "Popular on Bluesky", "Most viewed" (by
// views or clicks) or "Most shared").
// A site embeds it with
//
//	<div data-herald-popular data-network="twitter" data-limit="5"></div>
//	<script async src="https://herald.example/widget/popular.js"></script>
//
// or fetches the fragment itself, or shows it in an iframe. Its classes
// start with "hrld-pop" so the site's styles do not clash with it.
//
// The public routes allow o.RateLimit requests per minute per client IP
// together (429 beyond); behind a reverse proxy on loopback the client is
// the last X-Forwarded-For address. Short-link requests from bots (see
// botMarkers: crawlers, link-preview fetchers, curl and other tools, an
// empty User-Agent), HEAD requests and prefetches are redirected without
// counting a click.
//
// The admin pages need o.AdminToken, as "Authorization: Bearer <token>" or
// through the login form, which sets an HttpOnly, SameSite=Strict session
// cookie (Secure when public_url is https) holding an expiry and its HMAC
// under the token, never the token. Without a token they are open only
// while the server listens on loopback and the request did not come through
// a proxy; otherwise they answer 403 asking for http.admin_token.
//
// Call it once, before Run. It fails when the server has no store.
func (s *Server) EnableDashboard(o DashboardOptions) error {
	if s.opts.Store == nil {
		return errors.New("web: dashboard: no store")
	}
	if o.Weights == (herald.Weights{}) {
		o.Weights = herald.DefaultWeights
	}
	if o.RateLimit <= 0 {
		o.RateLimit = DefaultRateLimit
	}
	pages, err := parseTemplates()
	if err != nil {
		return fmt.Errorf("web: dashboard: %w", err)
	}
	d := &dashboard{
		s:       s,
		opts:    o,
		pages:   pages,
		auth:    newAuth(o.AdminToken, s.opts.Addr, s.opts.PublicURL, s.opts.Now),
		popular: newPopularCache(s.opts.Now, o.MaxSince),
		links:   newShortLinks(s.opts.Store, o.ShortlinkTarget),
	}
	if o.AdminToken == "" {
		s.hostAllowed = loopbackHosts(s.opts.PublicURL)
	}
	if !o.PublicMetrics {
		s.probeAuth = d.auth
	}
	if o.AdminToken == "" && !d.auth.loopback {
		s.logger.Warn("dashboard disabled: the server listens beyond loopback and http.admin_token is not set",
			"addr", s.opts.Addr)
	}
	public := httprate.LimitBy(o.RateLimit, time.Minute, clientKey, httprate.WithLimitHandler(tooManyRequests))
	login := httprate.LimitBy(loginRateLimit, time.Minute, clientKey, httprate.WithLimitHandler(tooManyRequests))

	s.Handle("GET /{$}", d.admin(http.HandlerFunc(d.handleDashboard)))
	s.Handle("GET /login", login(http.HandlerFunc(d.handleLoginForm)))
	s.Handle("POST /login", login(http.HandlerFunc(d.handleLogin)))
	s.HandleFunc("POST /logout", d.handleLogout)
	s.Handle("GET /api/popular", public(http.HandlerFunc(d.handlePopular)))
	s.HandleFunc("OPTIONS /api/popular", handlePopularPreflight)
	s.Handle("GET /widget/popular", public(http.HandlerFunc(d.handleWidget)))
	static, _ := fs.Sub(staticFS, "static")
	s.Handle("GET /widget/popular.js", public(http.HandlerFunc(serveFile(static, "popular.js", "text/javascript; charset=utf-8"))))
	s.HandleFunc("GET /static/dashboard.css", serveFile(static, "dashboard.css", "text/css; charset=utf-8"))
	if o.Shortlinks {
		s.Handle("GET /s/{code}", public(http.HandlerFunc(d.handleShortLink)))
	}
	d.enableReview()
	d.enableViewBeacon(public)
	return nil
}

// serveFile serves one embedded file, cacheable for an hour.
func serveFile(fsys fs.FS, name, contentType string) http.HandlerFunc {
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		panic(err) // the file is embedded: a build error
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if name == "popular.js" {
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		_, _ = w.Write(body)
	}
}

// tooManyRequests answers a client over its rate limit (httprate has set
// Retry-After).
func tooManyRequests(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path == "/api/popular" {
		writeError(w, http.StatusTooManyRequests, "too many requests: slow down", "")
		return
	}
	http.Error(w, "too many requests: slow down", http.StatusTooManyRequests)
}

// page renders a full page or a fragment with the given status.
func (d *dashboard) page(w http.ResponseWriter, code int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	var buf bytes.Buffer
	if err := d.pages.ExecuteTemplate(&buf, name, data); err != nil {
		d.s.logger.Error("render page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// messagePage is a page that only says something (404, 403, errors).
type messagePage struct {
	Title   string
	Message string
	Hint    string
}

// message renders a message page with admin-page security headers.
func (d *dashboard) message(w http.ResponseWriter, code int, title, msg, hint string) {
	setPageSecurity(w)
	d.page(w, code, "message.html", messagePage{Title: title, Message: msg, Hint: hint})
}

// setPageSecurity sets the headers of a full Herald page: nothing from
// elsewhere, no framing, no referrer.
func setPageSecurity(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}

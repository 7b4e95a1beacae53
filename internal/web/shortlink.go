package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald/internal/herald"
)

// maxCodeLen bounds what is looked up as a short code.
const maxCodeLen = 32

// botMarkers are lower-case substrings of the User-Agent of clients whose
// requests are redirected but not counted as clicks: crawlers, link-preview
// fetchers of the networks and chat apps, monitors and command-line tools.
// An empty User-Agent is not counted either.
var botMarkers = []string{
	"bot", "crawler", "crawl", "spider", "slurp", "preview", "fetcher", "scraper",
	"facebookexternalhit", "facebookcatalog", "meta-externalagent", "meta-externalfetcher",
	"twitterbot", "linkedinbot", "slackbot", "discordbot", "telegrambot", "whatsapp",
	"skypeuripreview", "embedly", "iframely", "pinterest", "redditbot", "mastodon",
	"bluesky", "cardyb", "google-inspectiontool", "googleother", "headlesschrome",
	"lighthouse", "monitor", "uptime", "pingdom", "curl", "wget", "python-requests",
	"python-urllib", "aiohttp", "httpx", "go-http-client", "okhttp", "java/", "libwww-perl",
	"apache-httpclient", "axios", "node-fetch", "undici", "scrapy", "feed", "rss",
}

// isBot reports whether a request should be redirected without counting:
// a bot's User-Agent, a HEAD request (link checkers) or a browser prefetch.
func isBot(r *http.Request) bool {
	if r.Method == http.MethodHead || r.Header.Get("Sec-Purpose") != "" ||
		r.Header.Get("Purpose") == "prefetch" || r.Header.Get("X-Moz") == "prefetch" {
		return true
	}
	ua := strings.ToLower(r.UserAgent())
	if strings.TrimSpace(ua) == "" {
		return true
	}
	for _, m := range botMarkers {
		if strings.Contains(ua, m) {
			return true
		}
	}
	return false
}

// shortLinks resolves short codes to redirect targets.
type shortLinks struct {
	store  herald.Store
	target func(herald.Job) string
}

func newShortLinks(store herald.Store, target func(herald.Job) string) *shortLinks {
	return &shortLinks{store: store, target: target}
}

// targetOf is where a job's short link leads ("" when nowhere valid).
func (l *shortLinks) targetOf(j herald.Job) string {
	t := ""
	if l.target != nil {
		t = l.target(j)
	}
	if t == "" && j.Article != nil {
		t = j.Article.URL
	}
	u, err := url.Parse(t)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return t
}

// peek returns a code's target without counting a click; ok is false when
// the code is unknown.
func (l *shortLinks) peek(ctx context.Context, code string) (target string, ok bool, err error) {
	j, err := l.store.FindJobByShortCode(ctx, code)
	if errors.Is(err, herald.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	t := l.targetOf(j)
	return t, t != "", nil
}

// validCode reports whether code could be a short code at all, so garbage
// never reaches the store.
func validCode(code string) bool {
	if code == "" || len(code) > maxCodeLen {
		return false
	}
	for _, c := range []byte(code) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// handleShortLink serves GET /s/{code}: a 302 to the article, counting the
// click unless it comes from a bot.
func (d *dashboard) handleShortLink(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !validCode(code) {
		d.linkNotFound(w)
		return
	}
	if isBot(r) {
		t, ok, err := d.links.peek(r.Context(), code)
		if err != nil {
			d.s.logger.Warn("short link lookup", "error", err)
		}
		if ok {
			redirect(w, t)
			return
		}
		// Unknown without counting: better one bot click counted than a
		// broken link preview.
	}
	j, err := d.recordClick(r, code)
	if errors.Is(err, herald.ErrNotFound) {
		d.linkNotFound(w)
		return
	}
	if err != nil {
		d.s.logger.Error("record click", "error", err)
		d.message(w, http.StatusServiceUnavailable, "Try again", "This link cannot be followed right now.", "")
		return
	}
	t := d.links.targetOf(j)
	if t == "" {
		d.s.logger.Warn("short link without a valid target", "job", j.ID)
		d.linkNotFound(w)
		return
	}
	redirect(w, t)
}

func redirect(w http.ResponseWriter, target string) {
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Referrer-Policy", "no-referrer-when-downgrade")
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusFound)
}

func (d *dashboard) linkNotFound(w http.ResponseWriter) {
	d.message(w, http.StatusNotFound, "Link not found", "This short link is not known.", "")
}

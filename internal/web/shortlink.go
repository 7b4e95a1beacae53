package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/heraldhq/herald/internal/herald"
)

// ShortLinkFinder is implemented by a store that can find a short link's
// job without counting a click. Bots are then redirected from it; without
// it they are redirected from the most recent jobs (see shortLinks.peek).
type ShortLinkFinder interface {
	// FindJobByShortCode returns the job (with its article) of a short
	// code, or herald.ErrNotFound.
	FindJobByShortCode(ctx context.Context, code string) (herald.Job, error)
}

// Without a ShortLinkFinder, bots are served from the newest jobs: link
// previews are fetched when a post is made, so its job is among them.
const (
	recentJobs      = 2000
	recentScanEvery = 15 * time.Second
	maxKnownLinks   = 20000
	maxCodeLen      = 32
)

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

	mu        sync.Mutex
	known     map[string]string // code → target
	scannedAt time.Time
	group     singleflight.Group
}

func newShortLinks(store herald.Store, target func(herald.Job) string) *shortLinks {
	return &shortLinks{store: store, target: target, known: map[string]string{}}
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

func (l *shortLinks) remember(code, target string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.known) >= maxKnownLinks {
		clear(l.known)
	}
	l.known[code] = target
}

// peek returns a code's target without counting a click; ok is false when
// it cannot be found that way.
func (l *shortLinks) peek(ctx context.Context, code string) (target string, ok bool, err error) {
	if f, isFinder := l.store.(ShortLinkFinder); isFinder {
		j, err := f.FindJobByShortCode(ctx, code)
		if err != nil {
			if errors.Is(err, herald.ErrNotFound) {
				return "", false, nil
			}
			return "", false, err
		}
		t := l.targetOf(j)
		return t, t != "", nil
	}
	if t, ok := l.lookup(code); ok {
		return t, true, nil
	}
	l.mu.Lock()
	fresh := time.Since(l.scannedAt) < recentScanEvery
	l.mu.Unlock()
	if fresh {
		return "", false, nil
	}
	if _, err, _ := l.group.Do("scan", func() (any, error) { return nil, l.scan(context.WithoutCancel(ctx)) }); err != nil {
		return "", false, err
	}
	t, ok := l.lookup(code)
	return t, ok, nil
}

func (l *shortLinks) lookup(code string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.known[code]
	return t, ok
}

// scan learns the short links of the newest jobs and of every job being sent.
func (l *shortLinks) scan(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, reportTimeout)
	defer cancel()
	l.mu.Lock()
	l.scannedAt = time.Now()
	l.mu.Unlock()
	recent, err := l.store.ListJobs(ctx, herald.JobFilter{Limit: recentJobs})
	if err != nil {
		return err
	}
	sending, err := l.store.ListJobs(ctx, herald.JobFilter{States: []herald.JobState{herald.JobSending}, Limit: recentJobs})
	if err != nil {
		return err
	}
	for _, j := range append(recent, sending...) {
		if j.ShortCode == "" {
			continue
		}
		if t := l.targetOf(j); t != "" {
			l.remember(j.ShortCode, t)
		}
	}
	return nil
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
	d.links.remember(code, t)
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

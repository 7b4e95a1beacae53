package cli

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// sandboxFeeds serves the configuration's file:// feeds over the sandbox's
// address with their dates moved so that the newest item was published just
// before the daemon started and the others keep their distance from it. The
// sample feed shipped with Herald is days old: served as it is, its stories
// fall outside every ranking window and the demo shows nothing.
type sandboxFeeds struct {
	mu    sync.RWMutex
	paths map[string]string // source name → file path
	start time.Time
}

// feedsPrefix is the path under which the sandbox serves the shifted feeds.
const feedsPrefix = "/sandbox/feeds/"

// handler serves the shifted feeds under feedsPrefix and sends everything
// else to next.
func (f *sandboxFeeds) handler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+feedsPrefix+"{name}", f.serve)
	mux.Handle("/", next)
	return mux
}

func (f *sandboxFeeds) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.RLock()
	path, ok := f.paths[r.PathValue("name")]
	start := f.start
	f.mu.RUnlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, err := os.ReadFile(path)
	if err != nil {
		http.Error(w, "read feed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	body = shiftFeedDates(body, start)
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256(body))
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	if len(body) > 0 && body[0] == '{' {
		w.Header().Set("Content-Type", "application/feed+json")
	}
	_, _ = w.Write(body)
}

// serveFileSources points every file:// source of cfg at the sandbox (base
// is its URL), to be served shifted relative to start. Only `herald run`
// does this: the other commands do not poll.
func (sb *sandbox) serveFileSources(cfg *config.Config, start time.Time) {
	if sb == nil {
		return
	}
	sb.feeds.mu.Lock()
	defer sb.feeds.mu.Unlock()
	sb.feeds.start = start
	if sb.feeds.paths == nil {
		sb.feeds.paths = map[string]string{}
	}
	for i, s := range cfg.Sources {
		path, ok := fileURLPath(s.URL)
		if !ok {
			continue
		}
		sb.feeds.paths[s.Name] = path
		cfg.Sources[i].URL = sb.srv.URL + feedsPrefix + url.PathEscape(s.Name)
	}
}

// fileURLPath returns the path of a file:// URL (false for any other URL):
// file:///abs and file://localhost/abs are absolute, file://dir/feed.xml
// and file:dir/feed.xml relative.
func fileURLPath(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "file" {
		return "", false
	}
	switch {
	case u.Opaque != "":
		p, err := url.PathUnescape(u.Opaque)
		if err != nil {
			return u.Opaque, true
		}
		return p, true
	case u.Host == "" || u.Host == "localhost":
		return u.Path, true
	default:
		return u.Host + u.Path, true
	}
}

// feedDate finds the dates of RSS, Atom and JSON feeds: the element or key
// in group 1 and the date in group 2.
var feedDate = regexp.MustCompile(`(<(?:pubDate|lastBuildDate|dc:date|published|updated)>\s*)([^<]+?)(\s*<)` +
	`|("date_(?:published|modified)"\s*:\s*")([^"]+)(")`)

// feedDateLayouts are the layouts feeds write dates in, most common first.
var feedDateLayouts = []string{time.RFC1123Z, time.RFC1123, time.RFC3339, time.RFC3339Nano,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST"}

func parseFeedDate(s string) (time.Time, string, bool) {
	for _, l := range feedDateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, l, true
		}
	}
	return time.Time{}, "", false
}

// shiftFeedDates moves every date of feed body by one offset, so that the
// newest is two minutes before start (to the minute), and writes each back
// in its own layout. Dates it cannot read are left alone.
func shiftFeedDates(body []byte, start time.Time) []byte {
	var newest time.Time
	for _, m := range feedDate.FindAllSubmatch(body, -1) {
		d := m[2]
		if d == nil {
			d = m[5]
		}
		if t, _, ok := parseFeedDate(string(d)); ok && t.After(newest) {
			newest = t
		}
	}
	if newest.IsZero() {
		return body
	}
	offset := start.Add(-2 * time.Minute).Truncate(time.Minute).Sub(newest)
	return feedDate.ReplaceAllFunc(body, func(m []byte) []byte {
		g := feedDate.FindSubmatch(m)
		pre, d, post := g[1], g[2], g[3]
		if pre == nil {
			pre, d, post = g[4], g[5], g[6]
		}
		t, layout, ok := parseFeedDate(string(d))
		if !ok {
			return m
		}
		out := append([]byte{}, pre...)
		out = append(out, t.Add(offset).Format(layout)...)
		return append(out, post...)
	})
}

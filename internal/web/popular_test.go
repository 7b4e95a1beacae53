package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

func decodeRows(t *testing.T, body string) []herald.ReportRow {
	t.Helper()
	var rows []herald.ReportRow
	if err := json.Unmarshal([]byte(body), &rows); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	return rows
}

func titles(rows []herald.ReportRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Title
	}
	return out
}

func TestPopularAPI(t *testing.T) {
	f := newDashFixture(t, nil)
	resp, body := f.get("/api/popular?since=24h&by=shares&limit=10", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	rows := decodeRows(t, body)
	if got := strings.Join(titles(rows), " | "); got != topTitle+" | "+secondTitle+" | "+xssTitle {
		t.Errorf("order: %s", got)
	}
	if r := rows[0]; r.Rank != 1 || r.Shares != 75 || r.Twitter.Retweets != 40 || r.Facebook.Shares != 30 ||
		r.URL != "https://news.example/2026/03/01/hurricane" {
		t.Errorf("top row: %+v", r)
	}
	// The body is what `herald report --format json` prints.
	var raw []map[string]any
	must(t, json.Unmarshal([]byte(body), &raw))
	for _, k := range []string{"rank", "article_id", "title", "url", "section", "published_at", "score",
		"shares", "reactions", "comments", "clicks", "twitter", "facebook"} {
		if _, ok := raw[0][k]; !ok {
			t.Errorf("field %q missing", k)
		}
	}
	h := resp.Header
	if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Cache-Control") != "public, max-age=60" ||
		h.Get("Content-Type") != "application/json" || !strings.HasPrefix(h.Get("ETag"), `"`) {
		t.Errorf("headers: %v", h)
	}

	etag := h.Get("ETag")
	resp, body = f.get("/api/popular?since=24h&by=shares&limit=10", func(r *http.Request) {
		r.Header.Set("If-None-Match", `W/"other", `+etag)
	})
	if resp.StatusCode != http.StatusNotModified || body != "" || resp.Header.Get("ETag") != etag ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("If-None-Match: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, _ = f.get("/api/popular?since=24h&by=shares&limit=10", func(r *http.Request) {
		r.Header.Set("If-None-Match", `"stale"`)
	})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("stale If-None-Match: %d", resp.StatusCode)
	}

	// By network, by reactions, a wider window, a limit.
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"network=facebook", []string{topTitle, secondTitle, xssTitle}},
		{"network=x&by=reactions", []string{topTitle, secondTitle, xssTitle}},
		{"since=7d&limit=2", []string{oldTitle, topTitle}},
		{"since=7d&network=facebook&limit=1", []string{topTitle}},
	} {
		resp, body := f.get("/api/popular?"+c.query, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", c.query, resp.StatusCode, body)
			continue
		}
		if got := titles(decodeRows(t, body)); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: %q, want %q", c.query, got, c.want)
		}
	}
	// No stories: an empty array, not null.
	resp, body = f.get("/api/popular?section=nosuch", nil)
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != "[]" {
		t.Errorf("empty: %d %q", resp.StatusCode, body)
	}
}

func TestPopularBadParams(t *testing.T) {
	f := newDashFixture(t, nil)
	for _, c := range []struct{ query, field string }{
		{"since=yesterday", "since"},
		{"since=-4h", "since"},
		{"by=likes", "by"},
		{"network=myspace", "network"},
		{"limit=0", "limit"},
		{"limit=ten", "limit"},
		{"trending=maybe", "trending"},
	} {
		resp, body := f.get("/api/popular?"+c.query, nil)
		var e errorBody
		if err := json.Unmarshal([]byte(body), &e); err != nil || resp.StatusCode != http.StatusBadRequest ||
			e.Field != c.field || !strings.Contains(e.Error, c.field) {
			t.Errorf("%s: %d %s", c.query, resp.StatusCode, body)
		}
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: headers %v", c.query, resp.Header)
		}
	}
	resp, _ := f.do(http.MethodPost, "/api/popular", nil, nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	resp, _ = f.do(http.MethodOptions, "/api/popular", nil, nil)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Methods") != "GET" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestPopularParamsLimit(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{{"", 7}, {"3", 3}, {"100", 100}, {"101", MaxPopularLimit}, {"1000000", MaxPopularLimit}} {
		p, err := popularParams(url.Values{"limit": {c.in}}, 7)
		if err != nil || p.Limit != c.want {
			t.Errorf("limit=%q: %d %v, want %d", c.in, p.Limit, err, c.want)
		}
	}
}

// A busy site cannot hammer the store: the same query is answered from the
// cache for 30 s, then computed again.
func TestPopularCached(t *testing.T) {
	f := newDashFixture(t, nil)
	_, before := f.get("/api/popular?limit=1", nil)
	x := f.seed.jobs[f.seed.second][0]
	must(t, f.store.SaveSnapshots(f.ctx, []herald.Snapshot{{JobID: x.ID, At: f.clock.Now(),
		Engagement: herald.Engagement{Retweets: 5000}}}))
	f.clock.Advance(10 * time.Second)
	if _, body := f.get("/api/popular?limit=1", nil); body != before {
		t.Errorf("within 30 s the cached answer must be served:\n%s", body)
	}
	if _, body := f.get("/api/popular?limit=2", nil); !strings.Contains(body, `"rank": 1,`) ||
		titles(decodeRows(t, body))[0] != secondTitle {
		t.Errorf("another query is computed anew:\n%s", body)
	}
	f.clock.Advance(25 * time.Second)
	if _, body := f.get("/api/popular?limit=1", nil); titles(decodeRows(t, body))[0] != secondTitle {
		t.Errorf("after 30 s the ranking is computed again:\n%s", body)
	}
}

func TestPopularCacheBounded(t *testing.T) {
	c := newPopularCache(time.Now, 0)
	now := time.Now()
	for i := range maxPopularEntries + 10 {
		_, key, err := popularQuery(rank.Params{Section: strings.Repeat("s", i)}, now, herald.DefaultWeights, 0)
		must(t, err)
		c.put(key, &popularEntry{expires: now.Add(time.Minute)}, now)
	}
	if n := len(c.entries); n > maxPopularEntries {
		t.Errorf("%d entries", n)
	}
}

func TestPopularCacheKeyCanonical(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key := func(q string) string {
		t.Helper()
		v, err := url.ParseQuery(q)
		must(t, err)
		p, err := popularParams(v, rank.DefaultLimit)
		must(t, err)
		_, k, err := popularQuery(p, now, herald.DefaultWeights, 0)
		must(t, err)
		return k
	}
	same := [][]string{
		{"", "since=24h", "since=1d", "since=1440m", "since=24h&by=shares", "limit=20", "trending=false", "trending=no", "since=%2024h"},
		{"since=7d&network=x", "since=1w&network=twitter", "since=168h&network=TWITTER", "network=X&since=6d24h&limit=20"},
	}
	for _, group := range same {
		for _, q := range group[1:] {
			if key(q) != key(group[0]) {
				t.Errorf("%q and %q are two cache entries", q, group[0])
			}
		}
	}
	if key("since=7d") == key("since=8d") || key("limit=5") == key("limit=6") || key("by=score") == key("by=shares") {
		t.Error("different queries share a cache entry")
	}
}

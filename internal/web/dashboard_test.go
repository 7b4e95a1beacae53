package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/testkit"
)

func TestDashboardPage(t *testing.T) {
	f := newDashFixture(t, nil)
	resp, body := f.get("/", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	h := resp.Header
	if h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("security headers: %v", h)
	}
	// Top stories in order, the old one outside 24h.
	top := section(body, "top-stories")
	i, j, k := strings.Index(top, topTitle), strings.Index(top, secondTitle), strings.Index(top, "Election night")
	if i < 0 || j < i || k < j || strings.Contains(top, oldTitle) {
		t.Errorf("stories at %d, %d, %d; old shown: %v", i, j, k, strings.Contains(top, oldTitle))
	}
	// Bars per network (X 45, Facebook 30 for the top story), sparklines and
	// line charts for each story, queue bars.
	if w := missing(body, `<svg class="bars"`, `class="net-x"`, `class="net-fb"`, `<title>X: 45</title>`,
		`<title>Facebook: 30</title>`, `<svg class="spark"`, `<svg class="line"`, `<polyline class="s-shares"`,
		`class="st-sent"`, `<title>sent: 7</title>`, `<title>failed: 1</title>`); w != "" {
		t.Errorf("missing %q", w)
	}
	if n := strings.Count(body, `<svg class="line"`); n != 3 {
		t.Errorf("%d engagement charts, want 3", n)
	}
	// Health: the failed job, the paused account, its token, the failing feed.
	if w := missing(body, "Recent failures", "(#200) permission denied", "permanent", "fb_page", "<strong>paused</strong><div class=\"meta\">auth: token expired</div>",
		`class="nowrap bad"`, "mexico", "failing ×3", "connection refused", "1 failing"); w != "" {
		t.Errorf("missing %q", w)
	}
	// XSS: the title is text.
	if strings.Contains(body, "<script") || !strings.Contains(body, "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;") {
		t.Error("a title with a script is not escaped")
	}
	// Nothing from elsewhere.
	for _, ext := range []string{"src=\"http", "href=\"//", "cdn", "<script"} {
		if strings.Contains(body, ext) {
			t.Errorf("external or scripted content: %q", ext)
		}
	}

	_, body = f.get("/?since=7d&network=twitter", nil)
	top = section(body, "top-stories")
	if i, j := strings.Index(top, oldTitle), strings.Index(top, topTitle); i < 0 || j < i || strings.Contains(top, "net-fb") {
		t.Errorf("7d on X: old story at %d, top at %d", i, j)
	}
	if !strings.Contains(body, `href="/?network=twitter&amp;since=7d" class="on"`) {
		t.Error("the chosen window is marked")
	}
	resp, body = f.get("/?since=forever", nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "since") {
		t.Errorf("bad window: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := f.get("/static/dashboard.css", nil); resp.StatusCode != http.StatusOK ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, "svg.bars") {
		t.Errorf("stylesheet: %d", resp.StatusCode)
	}
}

func TestDashboardEmptyStore(t *testing.T) {
	st := openStore(t)
	srv := New(Options{Addr: "127.0.0.1:0", Store: st}, nil)
	must(t, srv.EnableDashboard(DashboardOptions{}))
	f := &dashFixture{t: t}
	f.ts = httptestServer(t, srv)
	resp, body := f.get("/", nil)
	if resp.StatusCode != http.StatusOK || missing(body, "has been posted yet", "No failed jobs.", "all healthy") != "" {
		t.Errorf("%d\n%s", resp.StatusCode, body)
	}
}

// No page shows a secret: the admin and webhook secrets, a key in a feed's
// URL, a token in a network's error.
func TestNoSecretInPages(t *testing.T) {
	f := tokenFixture(t, "https://herald.example")
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+adminToken) }
	pages := []string{"/", "/?since=7d", "/?since=30d&by=score", "/login", "/api/popular?since=30d", "/widget/popular",
		"/s/nosuch", "/widget/popular.js", "/static/dashboard.css"}
	for _, p := range pages {
		for _, edit := range []func(*http.Request){nil, bearer} {
			resp, body := f.get(p, edit)
			all := body
			for k, v := range resp.Header {
				all += k + ": " + strings.Join(v, ",") + "\n"
			}
			for _, secret := range []string{adminToken, testSecret, feedKey, graphToken, "access_token="} {
				if strings.Contains(all, secret) {
					t.Errorf("%s shows %q", p, secret)
				}
			}
		}
	}
	_, body := f.get("/", bearer)
	if !strings.Contains(body, "https://graph.example/v19.0/104/feed?…") || !strings.Contains(body, "mexico.xml?…") {
		t.Errorf("errors keep their URLs without the query:\n%s", body)
	}
}

func TestScrub(t *testing.T) {
	testkit.Table(t, "scrub", scrub, map[string]string{
		`Get "https://user:pw@feeds.example/a.xml?key=s3cr3t": EOF`:       `Get "https://feeds.example/a.xml?…": EOF`,
		"post https://graph.example/me/feed?access_token=EAA#frag failed": "post https://graph.example/me/feed?…#frag failed",
		"plain error":                      "plain error",
		"see http://example.com/path only": "see http://example.com/path only",
	})
	if got := scrub(strings.Repeat("é", 500)); len([]rune(got)) != maxErrorText+1 {
		t.Errorf("long message: %d runes", len([]rune(got)))
	}
}

func TestNum(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := num(n); got != want {
			t.Errorf("num(%d) = %q", n, got)
		}
	}
}

// section returns the <section id=id> of a page.
func section(page, id string) string {
	_, s, _ := strings.Cut(page, `<section id="`+id+`">`)
	s, _, _ = strings.Cut(s, "</section>")
	return s
}

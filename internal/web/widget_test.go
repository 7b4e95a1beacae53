package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/rank"
)

func TestWidget(t *testing.T) {
	f := newDashFixture(t, nil)
	resp, body := f.get("/widget/popular?network=twitter&limit=5", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("%d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	if w := missing(body, `<div class="hrld-pop">`, `<h3 class="hrld-pop__h">Popular on X</h3>`, `<ol class="hrld-pop__list">`,
		`href="https://news.example/2026/03/01/hurricane"`, topTitle); w != "" {
		t.Errorf("missing %q:\n%s", w, body)
	}
	if strings.Contains(body, "<html") || strings.Contains(body, "<body") {
		t.Error("the widget is a fragment, not a page")
	}
	if i, j := strings.Index(body, topTitle), strings.Index(body, secondTitle); i < 0 || j < i {
		t.Errorf("order: top at %d, second at %d", i, j)
	}
	if n := strings.Count(body, `<li class="hrld-pop__item">`); n != 3 {
		t.Errorf("%d items", n)
	}
	// XSS: the title with a script is shown as text.
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;") {
		t.Errorf("title not escaped:\n%s", body)
	}

	etag := resp.Header.Get("ETag")
	resp, _ = f.get("/widget/popular?network=twitter&limit=5", func(r *http.Request) { r.Header.Set("If-None-Match", etag) })
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}
	resp, body = f.get("/widget/popular?network=twitter&limit=5&title="+
		"%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%20Top", func(r *http.Request) { r.Header.Set("If-None-Match", etag) })
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "<img") ||
		!strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt; Top</h3>") {
		t.Errorf("title parameter: %d (a new heading is a new ETag)\n%s", resp.StatusCode, body)
	}

	_, body = f.get("/widget/popular?limit=1", nil)
	if !strings.Contains(body, ">Most shared</h3>") || strings.Count(body, "<li") != 1 {
		t.Errorf("default heading, limit:\n%s", body)
	}
	_, body = f.get("/widget/popular?section=nosuch", nil)
	if !strings.Contains(body, "No stories yet.") {
		t.Errorf("empty:\n%s", body)
	}
	resp, body = f.get("/widget/popular?by=likes", nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "by") {
		t.Errorf("bad by: %d %s", resp.StatusCode, body)
	}
}

func TestWidgetHeading(t *testing.T) {
	for _, c := range []struct {
		p    rank.Params
		want string
	}{
		{rank.Params{}, "Most shared"},
		{rank.Params{Network: "x"}, "Popular on X"},
		{rank.Params{Network: "Facebook"}, "Popular on Facebook"},
		{rank.Params{Network: "mastodon"}, "Popular on Mastodon"},
		{rank.Params{By: "clicks"}, "Most viewed"},
		{rank.Params{By: "score"}, "Popular"},
	} {
		if got := widgetHeading(c.p); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}

func TestWidgetScript(t *testing.T) {
	f := newDashFixture(t, nil)
	resp, body := f.get("/widget/popular.js", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(body, "/widget/popular?") || !strings.Contains(body, "data-herald-popular") {
		t.Errorf("%d %v\n%s", resp.StatusCode, resp.Header, body)
	}
}

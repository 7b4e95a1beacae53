package cli

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// pageServer serves the article pages of the tests and returns its URL.
func pageServer(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/news/storm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html><head>
<title>Storm hits the coast | The Daily</title>
<meta property="og:title" content="Storm &amp; floods hit the coast">
<meta property="og:description" content="Winds of 120 km/h.">
<meta property="og:image" content="/img/storm.jpg">
<meta property="article:section" content="Weather">
<meta property="article:tag" content="Storms"><meta property="article:tag" content="Coast">
<meta name="author" content="Ana Ruiz">
<meta property="article:published_time" content="2026-03-10T09:30:00Z">
<link rel="canonical" href="/news/storm?utm_source=amp&id=7">
</head><body><title>not this</title><meta property="og:title" content="nor this"></body></html>`))
	})
	mux.HandleFunc("/amp/storm", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/news/storm", http.StatusFound)
	})
	mux.HandleFunc("/latin1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=windows-1252")
		w.Write([]byte("<html><head><title>Caf\xe9 reopens \x96 at last</title></head></html>"))
	})
	mux.HandleFunc("/plain-title", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html><head><title>\n  Only a   title\n</title></head><body>x</body></html>"))
	})
	mux.HandleFunc("/untitled", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><head></head><body><h1>No title</h1></body></html>"))
	})
	mux.HandleFunc("/image.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG"))
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><head><title>Huge</title>"))
		chunk := []byte(strings.Repeat(`<meta name="x" content="padding padding padding">`, 1000))
		for range 100 { // 5 MB of head, more than the cap
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	return serve(t, mux)
}

func TestFetchArticlePage(t *testing.T) {
	base := pageServer(t)
	ctx := context.Background()
	client := newPageClient(2 * time.Second)
	for _, path := range []string{"/news/storm", "/amp/storm"} {
		a, err := fetchArticlePage(ctx, client, base+path, "")
		if err != nil {
			t.Fatal(err)
		}
		if a.Title != "Storm & floods hit the coast" || a.URL != base+"/news/storm?id=7" ||
			a.Summary != "Winds of 120 km/h." || a.ImageURL != base+"/img/storm.jpg" || a.Section != "Weather" ||
			!slices.Equal(a.Categories, []string{"Storms", "Coast"}) || a.Author != "Ana Ruiz" ||
			!a.PublishedAt.Equal(time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)) || a.ID != 0 {
			t.Errorf("%s: %+v", path, a)
		}
	}
	for path, title := range map[string]string{"/latin1": "Café reopens – at last", "/plain-title": "Only a title", "/huge": "Huge"} {
		a, err := fetchArticlePage(ctx, client, base+path, "")
		if err != nil || a.Title != title || a.URL != base+path {
			t.Errorf("%s: %+v, %v", path, a, err)
		}
	}
	for path, want := range map[string]string{
		"/untitled":  "has no <title> or og:title",
		"/image.png": "not a web page",
		"/missing":   "HTTP 404",
		"/slow":      "Client.Timeout",
		"/loop":      "stopped after 5 redirects",
	} {
		c := client
		if path == "/slow" {
			c = newPageClient(100 * time.Millisecond)
		}
		if _, err := fetchArticlePage(ctx, c, base+path, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", path, err, want)
		}
	}
	for _, bad := range []string{"ftp://example.com/x", "/relative", "file:///etc/passwd"} {
		if _, err := fetchArticlePage(ctx, client, bad, ""); exitCode(err) != ExitUsage {
			t.Errorf("%s: %v, want a usage error", bad, err)
		}
	}
}

package feed

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/netguard"
)

func TestFetchConditional(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/rss", rss("news", []testItem{{Title: "A", Link: "https://news.example/a"}}))
	ctx := context.Background()
	resp, err := Fetch(ctx, nil, Request{URL: srv.URL + "/rss"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.ETag == "" || len(resp.Body) == 0 || !strings.HasPrefix(resp.ContentType, "application/rss+xml") {
		t.Fatalf("first fetch = %+v", resp)
	}
	again, err := Fetch(ctx, nil, Request{URL: srv.URL + "/rss", ETag: resp.ETag})
	if err != nil {
		t.Fatal(err)
	}
	if !again.NotModified() || len(again.Body) != 0 || again.ETag != resp.ETag {
		t.Fatalf("conditional fetch = %+v, want a 304 keeping the ETag", again)
	}
	if full, nm := srv.counts("/rss"); full != 1 || nm != 1 {
		t.Errorf("server saw %d full answers and %d 304s, want 1 and 1", full, nm)
	}
}

func TestFetchErrors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/404", http.NotFound)
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/huge", serveHuge)
	mux.HandleFunc("/huge-announced", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "52428800")
		serveHuge(w, r)
	})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<?xml version=\"1.0\"?>"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/trickle", func(w http.ResponseWriter, r *http.Request) {
		serveTrickle(w, r, 50*time.Millisecond)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	tests := []struct {
		path    string
		timeout time.Duration
		want    error
		text    string
	}{
		{"/404", 0, nil, "HTTP 404 Not Found"},
		{"/500", 0, nil, "HTTP 500 Internal Server Error"},
		{"/loop", 0, nil, "stopped after 5 redirects"},
		{"/huge", 0, ErrTooLarge, "over 10485760 bytes"},
		{"/huge-announced", 0, ErrTooLarge, "52428800 bytes announced"},
		{"/stall", 300 * time.Millisecond, ErrTimeout, "timed out after 300ms"},
		// 20 bytes a second: cut by the rate guard after a quarter of the timeout.
		{"/trickle", 2 * time.Second, ErrTooSlow, "arriving too slowly"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			// The test server is on loopback.
			client := NewClient(Options{Guard: netguard.Guard{AllowPrivate: true}})
			t.Cleanup(client.CloseIdleConnections)
			resp, err := Fetch(context.Background(), client, Request{URL: srv.URL + tt.path, Timeout: tt.timeout})
			if err == nil {
				t.Fatalf("fetch = %+v, want an error", resp)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) || !strings.Contains(err.Error(), "GET "+srv.URL+tt.path) {
				t.Errorf("error %q should name the URL and say %q", err, tt.text)
			}
		})
	}
	var se *StatusError
	_, err := Fetch(context.Background(), nil, Request{URL: srv.URL + "/500"})
	if !errors.As(err, &se) || se.Status != 500 || time.Until(se.RetryAfter) < 100*time.Second {
		t.Errorf("500: %v, want a StatusError with Retry-After", err)
	}
}

// serveHuge streams 50 MB of a never-ending feed without holding it in memory.
func serveHuge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/rss+xml")
	io.WriteString(w, "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>huge</title>")
	chunk := []byte(strings.Repeat("<item><title>x</title><link>https://news.example/x</link></item>\n", 1000))
	for sent := 0; sent < 50<<20 && r.Context().Err() == nil; sent += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// serveTrickle sends a feed one byte at a time, every gap.
func serveTrickle(w http.ResponseWriter, r *http.Request, gap time.Duration) {
	w.Header().Set("Content-Type", "application/rss+xml")
	body := rss("slow", []testItem{{Title: "Slow", Link: "https://news.example/slow"}})
	t := time.NewTicker(gap)
	defer t.Stop()
	for _, b := range body {
		if _, err := w.Write([]byte{b}); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
	}
}

func TestFetchHugeBodyMemoryBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(serveHuge))
	t.Cleanup(srv.Close)
	const limit = 1 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Fetch(context.Background(), nil, Request{URL: srv.URL, MaxBody: limit})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	// The client reads at most limit+1 bytes: allocations stay a small
	// multiple of the limit, far below the 50 MB sent.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 12*limit {
		t.Errorf("fetching a capped 50 MB body allocated %d bytes", alloc)
	}
}

func TestFetchFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feed.xml")
	body := rss("file", []testItem{{Title: "A", Link: "https://news.example/a"}})
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	resp, err := Fetch(ctx, nil, Request{URL: "file://" + path})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || string(resp.Body) != string(body) || resp.LastModified == "" {
		t.Fatalf("file fetch = %+v", resp)
	}
	seen := Request{URL: "file://" + path, ETag: resp.ETag, LastModified: resp.LastModified}
	again, err := Fetch(ctx, nil, seen)
	if err != nil || !again.NotModified() {
		t.Fatalf("unchanged file: %+v, %v; want 304", again, err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if again, err := Fetch(ctx, nil, seen); err != nil || again.NotModified() {
		t.Fatalf("touched file: %+v, %v; want 200", again, err)
	}
	// Rewritten with a new item and given back the very same modification
	// time, as a rewrite within the same second (or on a coarse file
	// system) looks: the new content is still served.
	touched, err := Fetch(ctx, nil, Request{URL: "file://" + path})
	if err != nil {
		t.Fatal(err)
	}
	newer := rss("file", []testItem{{Title: "B", Link: "https://news.example/b"}, {Title: "A", Link: "https://news.example/a"}})
	if err := os.WriteFile(path, newer, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	rewritten, err := Fetch(ctx, nil, Request{URL: "file://" + path, ETag: touched.ETag, LastModified: touched.LastModified})
	if err != nil || rewritten.NotModified() || string(rewritten.Body) != string(newer) {
		t.Fatalf("rewritten file with the same time: %+v, %v; want 200 with the new content", rewritten, err)
	}
	if rewritten.LastModified != touched.LastModified {
		t.Fatalf("Last-Modified %q then %q: the test meant the same modification time", touched.LastModified, rewritten.LastModified)
	}

	_, err = Fetch(ctx, nil, Request{URL: "file://" + filepath.Join(dir, "missing.xml")})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.xml") {
		t.Errorf("missing file: %v, want a not-exist error naming it", err)
	}
	_, err = Fetch(ctx, nil, Request{URL: "file://" + path, MaxBody: 10})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("large file: %v, want ErrTooLarge", err)
	}
	_, err = Fetch(ctx, nil, Request{URL: "file://" + dir})
	if err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
	_, err = Fetch(ctx, nil, Request{URL: "gopher://news.example/"})
	if err == nil || !strings.Contains(err.Error(), "scheme") {
		t.Errorf("gopher: %v", err)
	}
}

func TestFetchRelativeFile(t *testing.T) {
	// Tests run in the package directory; the repository root is two up.
	for _, u := range []string{
		"file://../../testdata/feeds/sample.xml",
		"file:../../testdata/feeds/sample.xml",
	} {
		resp, err := Fetch(context.Background(), nil, Request{URL: u})
		if err != nil || resp.Status != 200 || len(resp.Body) == 0 {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func TestFilePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"file:///srv/feeds/a.xml", "/srv/feeds/a.xml"},
		{"file://localhost/srv/feeds/a.xml", "/srv/feeds/a.xml"},
		{"file://testdata/feeds/sample.xml", "testdata/feeds/sample.xml"},
		{"file:testdata/feeds/sample.xml", "testdata/feeds/sample.xml"},
		{"file:///srv/my%20feeds/a.xml", "/srv/my feeds/a.xml"},
		{"file:my%20feed.xml", "my feed.xml"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := filePath(u); got != tt.want {
			t.Errorf("filePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	u, _ := url.Parse("https://user:secret@news.example/rss?key=abc123#x")
	if got := redact(u); strings.Contains(got, "secret") || strings.Contains(got, "abc123") || !strings.Contains(got, "news.example/rss") {
		t.Errorf("redact = %q", got)
	}
}

package feed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// syncAccounts creates the accounts jobs refer to.
func syncAccounts(t testing.TB, db herald.Store, ids ...string) {
	t.Helper()
	var accts []herald.Account
	for _, id := range ids {
		accts = append(accts, herald.Account{ID: id, Network: herald.Twitter})
	}
	if err := db.SyncAccounts(context.Background(), accts); err != nil {
		t.Fatal(err)
	}
}

// testItem is one item of a generated RSS feed.
type testItem struct {
	GUID       string
	Title      string
	Link       string
	Published  time.Time
	Categories []string
	Summary    string
}

// rss renders an RSS 2.0 feed.
func rss(title string, items []testItem) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>%s</title>"+
		"<link>https://news.example/</link><description>test</description>\n", html.EscapeString(title))
	for _, it := range items {
		b.WriteString("<item>")
		fmt.Fprintf(&b, "<title>%s</title><link>%s</link>", html.EscapeString(it.Title), html.EscapeString(it.Link))
		if it.GUID != "" {
			fmt.Fprintf(&b, "<guid isPermaLink=\"false\">%s</guid>", html.EscapeString(it.GUID))
		}
		if !it.Published.IsZero() {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", it.Published.UTC().Format(time.RFC1123Z))
		}
		for _, c := range it.Categories {
			fmt.Fprintf(&b, "<category>%s</category>", html.EscapeString(c))
		}
		if it.Summary != "" {
			fmt.Fprintf(&b, "<description>%s</description>", html.EscapeString(it.Summary))
		}
		b.WriteString("</item>\n")
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

// feedServer serves feeds that tests change while it runs, with ETags, and
// counts full answers and 304s per path.
type feedServer struct {
	*httptest.Server
	mu          sync.Mutex
	bodies      map[string][]byte
	etags       map[string]string
	full        map[string]int
	notModified map[string]int
}

func newFeedServer(t testing.TB) *feedServer {
	t.Helper()
	s := &feedServer{
		bodies: map[string][]byte{}, etags: map[string]string{},
		full: map[string]int{}, notModified: map[string]int{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *feedServer) set(path string, body []byte) {
	sum := sha256.Sum256(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bodies[path] = body
	s.etags[path] = `"` + hex.EncodeToString(sum[:8]) + `"`
}

func (s *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body, ok := s.bodies[r.URL.Path]
	etag := s.etags[r.URL.Path]
	if ok && r.Header.Get("If-None-Match") == etag {
		s.notModified[r.URL.Path]++
	} else if ok {
		s.full[r.URL.Path]++
	}
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Write(body)
}

func (s *feedServer) counts(path string) (full, notModified int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.full[path], s.notModified[path]
}

// jobCount counts the jobs in the store.
func jobCount(t testing.TB, db herald.Store) int {
	t.Helper()
	jobs, err := db.ListJobs(context.Background(), herald.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(jobs)
}

// articleCount counts the articles in the store.
func articleCount(t testing.TB, db herald.Store) int {
	t.Helper()
	as, err := db.ListArticles(context.Background(), herald.ArticleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(as)
}

func getSource(t testing.TB, db herald.Store, name string) herald.Source {
	t.Helper()
	s, err := db.GetSource(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

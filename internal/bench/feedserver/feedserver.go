// Package feedserver serves many realistic RSS feeds on loopback for the
// polling benchmarks (herald-bench's scenarios and the feed package's
// benchmarks): rendered on the fly, with ETags, and items added on demand.
// It imports only the standard library.
package feedserver

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server serves /feed/N on loopback: RSS 2.0 feeds rendered on the fly
// (so that the server holds no bodies), each with a base of items and the
// items added since, newest first, and an ETag that changes with the feed,
// so an unchanged feed is a 304.
type Server struct {
	srv   *httptest.Server
	base  int       // items every feed starts with
	epoch time.Time // publication of the base items (item k: k minutes before)

	mu    sync.Mutex
	added map[int][]time.Time // feed → publication times of added items, oldest first
}

// Start starts a server whose feeds have base items each, item k published
// k minutes before epoch.
func Start(base int, epoch time.Time) *Server {
	f := &Server{base: base, epoch: epoch, added: map[int][]time.Time{}}
	f.srv = httptest.NewServer(f)
	return f
}

func (f *Server) Close() { f.srv.Close() }

// URL is feed n's address.
func (f *Server) URL(n int) string { return f.srv.URL + "/feed/" + strconv.Itoa(n) }

// Add publishes k new items in feed n, one millisecond apart (the last newest).
func (f *Server) Add(n, k int, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range k {
		f.added[n] = append(f.added[n], at.Add(time.Duration(i)*time.Millisecond))
	}
}

// Title is the title of item k of feed n (the base items count from 0, the
// added ones from base), as Herald records it.
func Title(n, k int) string {
	return fmt.Sprintf("Council approves budget for bridge repairs in district %d, item %d", n, k)
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, "/feed/")
	n, err := strconv.Atoi(id)
	if !ok || err != nil {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	added := f.added[n]
	f.mu.Unlock()
	etag := `"v` + strconv.Itoa(len(added)) + "-" + id + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	buf := bufs.Get().(*bytes.Buffer)
	defer bufs.Put(buf)
	buf.Reset()
	fmt.Fprintf(buf, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Section %d</title><link>https://news.example/section/%d</link><description>Section %d</description>
`, n, n, n)
	for i := len(added) - 1; i >= 0; i-- {
		item(buf, n, f.base+i, added[i])
	}
	for k := range f.base {
		item(buf, n, k, f.epoch.Add(-time.Duration(k)*time.Minute))
	}
	buf.WriteString("</channel></rss>\n")
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// item writes a realistic item: tracking parameters on the link, a GUID,
// author, categories and an HTML summary.
func item(buf *bytes.Buffer, n, k int, pub time.Time) {
	fmt.Fprintf(buf, `<item><title>%s</title>
<link>https://news.example/section/%d/2026/11/28/story-%d-council-approves-budget?utm_source=rss</link>
<guid isPermaLink="false">s%d-i%d</guid><pubDate>%s</pubDate><dc:creator>Staff Writer</dc:creator>
<category>Local</category><category>Politics</category>
<description><![CDATA[<p>The vote funds repairs to two bridges closed to trucks since the spring inspection; work begins in March and should end before the autumn, officials said.</p>]]></description>
</item>
`, Title(n, k), n, k, n, k, pub.UTC().Format(time.RFC1123Z))
}

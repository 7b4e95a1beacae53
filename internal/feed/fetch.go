package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/netguard"
)

// Fetch errors, wrapped with the URL and details.
var (
	ErrTooLarge = errors.New("feed larger than the limit")
	ErrTooSlow  = errors.New("feed body arriving too slowly")
	ErrTimeout  = errors.New("timed out")
)

// MinBodyRate is the slowest a feed body may arrive, in bytes per second,
// once a quarter of the timeout has passed.
const MinBodyRate = 512

// maxRedirects bounds redirect chains (and loops).
const maxRedirects = 5

// Request is one (conditional) fetch of a feed.
type Request struct {
	URL          string
	ETag         string // sent as If-None-Match
	LastModified string // sent as If-Modified-Since
	UserAgent    string
	Timeout      time.Duration // the whole fetch; 0: DefaultTimeout
	MaxBody      int64         // 0: DefaultMaxBody
}

// Response is a fetched feed.
type Response struct {
	// Status is the HTTP status: 200, or 304 when the feed has not changed
	// since the validators in the Request. A file answers 200 or 304 too
	// (its modification time serves as Last-Modified).
	Status       int
	Body         []byte
	ContentType  string
	ETag         string
	LastModified string
	// URL is where the feed was found, after redirects.
	URL string
}

// NotModified reports whether the feed is unchanged since the last fetch.
func (r *Response) NotModified() bool { return r.Status == http.StatusNotModified }

// StatusError is an HTTP answer other than 2xx and 304.
type StatusError struct {
	Status     int
	RetryAfter time.Time // from a Retry-After header, zero if none
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
}

// NewClient returns the HTTP client a Poller shares among its polls: keep-alive
// connections, at most half the concurrency to any one host, a dial and
// header timeout, at most 5 redirects, and every connection (redirects
// included) under opts.Guard. Whole-request deadlines come from Fetch.
func NewClient(opts Options) *http.Client {
	opts = opts.withDefaults()
	perHost := max(4, opts.Concurrency/2)
	guard := opts.Guard
	if guard.Dial == nil {
		guard.Dial = (&net.Dialer{
			Timeout:   min(opts.Timeout, 10*time.Second),
			KeepAlive: 30 * time.Second,
		}).DialContext
	}
	t := guard.Transport()
	t.MaxIdleConns = opts.Concurrency * 2
	t.MaxIdleConnsPerHost = perHost
	t.MaxConnsPerHost = perHost
	t.TLSHandshakeTimeout = min(opts.Timeout, 10*time.Second)
	t.ResponseHeaderTimeout = opts.Timeout
	return &http.Client{
		Transport: t,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return nil
		},
	}
}

// Fetch gets a feed over http(s) or from a file:// URL, conditionally when r
// carries validators, within r.Timeout and r.MaxBody. A client nil uses a
// client from NewClient (public addresses only, unless r.URL itself is on an
// internal network). Errors name the URL without its query or user info.
func Fetch(ctx context.Context, client *http.Client, r Request) (*Response, error) {
	if client == nil {
		client = newClients(Options{}).forURL(ctx, r.URL)
	}
	return fetch(ctx, client, r, new(bytes.Buffer))
}

// clients are the two policies a fetch may run under: public addresses only,
// and internal networks allowed, for a source whose configured URL is on one
// (an intranet CMS). Two clients rather than one keep their pooled
// connections apart.
type clients struct {
	guard            netguard.Guard
	public, internal *http.Client
}

func newClients(opts Options) clients {
	if opts.HTTPClient != nil {
		return clients{guard: opts.Guard, public: opts.HTTPClient, internal: opts.HTTPClient}
	}
	c := clients{guard: opts.Guard, public: NewClient(opts)}
	c.internal = c.public
	if !opts.Guard.AllowPrivate {
		opts.Guard.AllowPrivate = true
		c.internal = NewClient(opts)
	}
	return c
}

// forURL is the client for a source configured with rawURL.
func (c clients) forURL(ctx context.Context, rawURL string) *http.Client {
	if c.internal != c.public && c.guard.Internal(ctx, rawURL) {
		return c.internal
	}
	return c.public
}

// CloseIdleConnections closes both clients' idle connections.
func (c clients) CloseIdleConnections() {
	c.public.CloseIdleConnections()
	c.internal.CloseIdleConnections()
}

// fetch reads the body into buf, which the Response's Body then aliases.
func fetch(ctx context.Context, client *http.Client, r Request, buf *bytes.Buffer) (*Response, error) {
	if r.Timeout <= 0 {
		r.Timeout = DefaultTimeout
	}
	if r.MaxBody <= 0 {
		r.MaxBody = DefaultMaxBody
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("bad feed URL: %w", err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("bad feed URL %s: no host", redact(u))
		}
		return fetchHTTP(ctx, client, u, r, buf)
	case "file":
		return fetchFile(u, r, buf)
	default:
		return nil, fmt.Errorf("bad feed URL %s: scheme must be http, https or file", redact(u))
	}
}

func fetchHTTP(ctx context.Context, client *http.Client, u *url.URL, r Request, buf *bytes.Buffer) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	where := "GET " + redact(u)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	ua := r.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, "+
		"application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5")
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, httpCause(ctx, err, r.Timeout))
	}
	defer resp.Body.Close()
	out := &Response{
		Status:       resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		URL:          resp.Request.URL.String(),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		// Some servers omit the validators on a 304: keep the ones we sent.
		out.ETag = orElse(out.ETag, r.ETag)
		out.LastModified = orElse(out.LastModified, r.LastModified)
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, fmt.Errorf("%s: %w", where, &StatusError{
			Status:     resp.StatusCode,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
		})
	}
	if resp.ContentLength > r.MaxBody {
		return nil, fmt.Errorf("%s: %w (%d bytes announced, limit %d)", where, ErrTooLarge, resp.ContentLength, r.MaxBody)
	}
	body := &slowGuard{r: resp.Body, start: time.Now(), grace: r.Timeout / 4}
	if err := readCapped(buf, body, resp.ContentLength, r.MaxBody); err != nil {
		return nil, fmt.Errorf("%s: %w", where, httpCause(ctx, err, r.Timeout))
	}
	out.Body = buf.Bytes()
	return out, nil
}

// httpCause turns the client's errors into what an operator needs to read.
func httpCause(ctx context.Context, err error, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w after %s", ErrTimeout, timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err // its message repeats the full URL
	}
	return err
}

func fetchFile(u *url.URL, r Request, buf *bytes.Buffer) (*Response, error) {
	path := filePath(u)
	where := "read " + path
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, unwrapPathError(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, unwrapPathError(err))
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", where)
	}
	if st.Size() > r.MaxBody {
		return nil, fmt.Errorf("%s: %w (%d bytes, limit %d)", where, ErrTooLarge, st.Size(), r.MaxBody)
	}
	if err := readCapped(buf, f, st.Size(), r.MaxBody); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	// The validator is the file's content and modification time: its
	// Last-Modified alone is to the second, so a file rewritten within the
	// second of the last poll would look unchanged and its new items wait
	// for the next change.
	sum := sha256.Sum256(buf.Bytes())
	out := &Response{Status: http.StatusOK, LastModified: st.ModTime().UTC().Format(http.TimeFormat), URL: u.String(),
		ETag: fmt.Sprintf(`"%x-%x"`, st.ModTime().UnixNano(), sum[:16])}
	if r.ETag == out.ETag {
		out.Status = http.StatusNotModified
		return out, nil
	}
	out.Body = buf.Bytes()
	return out, nil
}

// filePath maps a file URL to a path: file:///abs and file://localhost/abs
// are absolute; file://dir/feed.xml and file:dir/feed.xml are relative to the
// working directory.
func filePath(u *url.URL) string {
	switch {
	case u.Opaque != "":
		if p, err := url.PathUnescape(u.Opaque); err == nil {
			return p
		}
		return u.Opaque
	case u.Host == "" || u.Host == "localhost":
		return u.Path
	default:
		return u.Host + u.Path
	}
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readCapped reads all of r into buf, failing with ErrTooLarge as soon as
// more than max bytes arrive. size (when known) sizes the buffer once.
func readCapped(buf *bytes.Buffer, r io.Reader, size, limit int64) error {
	buf.Reset()
	if size > 0 && size <= limit {
		buf.Grow(int(size) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return fmt.Errorf("%w (over %d bytes)", ErrTooLarge, limit)
	}
	return nil
}

// slowGuard fails a body that, after the grace period, has arrived at less
// than MinBodyRate on average: a trickling server gives up its slot early
// rather than at the deadline.
type slowGuard struct {
	r     io.Reader
	start time.Time
	grace time.Duration
	n     int64
}

func (g *slowGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.n += int64(n)
	if elapsed := time.Since(g.start); err == nil && elapsed > g.grace {
		if rate := float64(g.n) / elapsed.Seconds(); rate < MinBodyRate {
			return n, fmt.Errorf("%w (%d bytes in %s)", ErrTooSlow, g.n, elapsed.Round(time.Millisecond))
		}
	}
	return n, err
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(v string, now time.Time) time.Time {
	if v == "" {
		return time.Time{}
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return now.Add(time.Duration(s) * time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return t
	}
	return time.Time{}
}

// redact prints a URL as Herald prints every URL (herald.RedactURL), without
// its fragment: feed URLs can carry access keys.
func redact(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	return herald.RedactURL(c.String())
}

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

package httpjson

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

func TestDoSendsJSONAndReadsTheAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" || string(b) != `{"text":"hi"}` ||
			r.URL.Query().Get("a") != "1" || r.Header.Get("Idempotency-Key") != "k" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("X-RateLimit-Limit", "300")
		w.Header().Set("X-RateLimit-Remaining", "299")
		w.Header().Set("X-RateLimit-Reset", "2030-01-01T00:00:00.000Z")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"1"}`))
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/x")
	a, err := Do(context.Background(), NewHTTPClient(5*time.Second), Request{Method: "POST", URL: u,
		Query: url.Values{"a": {"1"}}, JSON: map[string]string{"text": "hi"}, Header: http.Header{"Idempotency-Key": {"k"}}})
	if err != nil || !a.OK() || string(a.Body) != `{"id":"1"}` {
		t.Fatalf("%+v %v", a, err)
	}
	l, ok := Limit(a.Header, "X-RateLimit-", time.Now(), true)
	if !ok || l.Limit != 300 || l.Remaining != 299 || l.Reset.Year() != 2030 {
		t.Errorf("limit %+v %v", l, ok)
	}
}

// TestDoTellsWhetherTheRequestWasWritten: a connection refused means
// nothing was sent; a connection dropped after the request means a post
// may exist.
func TestDoTellsWhetherTheRequestWasWritten(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	refused, _ := url.Parse("http://" + addr + "/")
	_, err = Do(context.Background(), NewHTTPClient(5*time.Second), Request{Method: "POST", URL: refused, JSON: 1})
	var se *SendError
	if !errors.As(err, &se) || se.Written {
		t.Fatalf("refused: %v", err)
	}
	if e := TransportError(herald.Mastodon, "create post", err, true, nil); e.Kind != herald.ErrRetryable {
		t.Errorf("refused post: %s", e.Kind)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	_, err = Do(context.Background(), NewHTTPClient(5*time.Second), Request{Method: "POST", URL: u, JSON: 1})
	if !errors.As(err, &se) || !se.Written {
		t.Fatalf("dropped: %v", err)
	}
	if e := TransportError(herald.Mastodon, "create post", err, true, nil); e.Kind != herald.ErrUnknownOutcome {
		t.Errorf("dropped post: %s", e.Kind)
	}
	if e := TransportError(herald.Mastodon, "read engagement", err, false, nil); e.Kind != herald.ErrRetryable {
		t.Errorf("dropped read: %s", e.Kind)
	}
}

func TestHeaders(t *testing.T) {
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	if at, ok := RetryAfter(http.Header{"Retry-After": {"120"}}, now); !ok || !at.Equal(now.Add(2*time.Minute)) {
		t.Errorf("seconds: %v %v", at, ok)
	}
	if at, ok := RetryAfter(http.Header{"Retry-After": {"Wed, 01 Apr 2026 10:00:00 GMT"}}, now); !ok || !at.Equal(now.Add(time.Hour)) {
		t.Errorf("date: %v %v", at, ok)
	}
	if at, ok := ParseReset("1775034000"); !ok || at.Unix() != 1775034000 {
		t.Errorf("unix: %v", at)
	}
	if at, ok := ParseReset("2026-04-01T10:00:00.000Z"); !ok || !at.Equal(now.Add(time.Hour)) {
		t.Errorf("rfc3339: %v", at)
	}
	for status, want := range map[int]herald.ErrorKind{401: herald.ErrAuth, 403: herald.ErrAuth, 429: herald.ErrRateLimited,
		504: herald.ErrUnknownOutcome, 503: herald.ErrRetryable, 408: herald.ErrRetryable, 422: herald.ErrPermanent} {
		if got := StatusKind(status, true); got != want {
			t.Errorf("status %d: %s, want %s", status, got, want)
		}
	}
	if got := StatusKind(504, false); got != herald.ErrRetryable {
		t.Errorf("504 on a read: %s", got)
	}
}

func TestOneAllowanceAndRetryTime(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	h := http.Header{"Ratelimit-Limit": {"300"}, "Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"1700000600"}}
	if got := Limits(h, "ratelimit-", now); len(got) != 1 || got[0].Limit != 300 || got[0].Remaining != 0 ||
		!got[0].Reset.Equal(now.Add(10*time.Minute)) {
		t.Errorf("Limits = %+v", got)
	}
	if got := Limits(http.Header{}, "ratelimit-", now); got != nil {
		t.Errorf("Limits of no headers = %+v", got)
	}
	if got := RetryAt(h, "ratelimit-reset", now, time.Minute); !got.Equal(now.Add(10 * time.Minute)) {
		t.Errorf("RetryAt with a reset = %v", got)
	}
	if got := RetryAt(http.Header{}, "ratelimit-reset", now, time.Minute); !got.Equal(now.Add(time.Minute)) {
		t.Errorf("RetryAt without a reset = %v", got)
	}
}

func TestParseBase(t *testing.T) {
	base := func(raw string) string {
		u, err := ParseBase(raw)
		if err != nil {
			return "refused"
		}
		return u.String()
	}
	testkit.Table(t, "ParseBase", base, map[string]string{
		"https://mastodon.example/":  "https://mastodon.example",
		"http://127.0.0.1:8080/pds/": "http://127.0.0.1:8080/pds",
		"ftp://mastodon.example":     "refused",
		"mastodon.example":           "refused",
		"https:///no-host":           "refused",
	})
}

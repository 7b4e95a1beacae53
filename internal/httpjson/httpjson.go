// Package httpjson is the small HTTP/JSON client layer of the networks
// Herald calls directly (X API v2, Mastodon, Bluesky XRPC): it builds a
// request, tells whether it was written (a post whose request was written
// and got no answer may exist: its outcome is unknown), reads the answer,
// and parses the rate-limit and Retry-After headers. Each network keeps its
// own error classification, with the shared rules here as its hooks.
package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// MaxBody bounds how much of an answer is read.
const MaxBody = 4 << 20

// Request is one call.
type Request struct {
	Method string
	URL    *url.URL // the endpoint; Query replaces its query when not nil
	Query  url.Values
	// JSON is sent as the body, marshalled, when not nil; Raw is sent as it
	// is with ContentType (an upload).
	JSON        any
	Raw         []byte
	ContentType string
	Header      http.Header
	// Close closes the connection after the answer (a one-off read that
	// should not hand the next request a reused connection).
	Close bool
}

// Answer is an HTTP answer read in full (up to MaxBody).
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports a 2xx status.
func (a Answer) OK() bool { return a.Status >= 200 && a.Status <= 299 }

// SendError is a call that got no whole answer. Written says the request
// was written in full on the last attempt (the transport may retry a
// replayable request on a new connection); Status is set when the answer's
// headers came and its body broke off.
type SendError struct {
	Written bool
	Status  int
	Header  http.Header
	Err     error
}

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// ErrBuild wraps a request that could not be built (a body that does not
// marshal, a bad method): nothing was sent.
var ErrBuild = errors.New("build request")

// Do sends rq with hc and reads the answer. A non-2xx answer is returned as
// an Answer, not an error: the caller classifies it. A transport failure is
// a *SendError; a request that cannot be built wraps ErrBuild.
func Do(ctx context.Context, hc *http.Client, rq Request) (Answer, error) {
	u := *rq.URL
	if rq.Query != nil {
		u.RawQuery = rq.Query.Encode()
	}
	var body io.Reader
	ctype := rq.ContentType
	switch {
	case rq.Raw != nil:
		body = bytes.NewReader(rq.Raw)
	case rq.JSON != nil:
		b, err := json.Marshal(rq.JSON)
		if err != nil {
			return Answer{}, errors.Join(ErrBuild, err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		// What matters is the last attempt: the transport may retry a
		// replayable request (one with an Idempotency-Key) on a new connection.
		GetConn:      func(string) { wrote.Store(false) },
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
	})
	req, err := http.NewRequestWithContext(ctx, rq.Method, u.String(), body)
	if err != nil {
		return Answer{}, errors.Join(ErrBuild, err)
	}
	for k, v := range rq.Header {
		req.Header[k] = v
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Close = rq.Close
	resp, err := hc.Do(req)
	if err != nil {
		return Answer{}, &SendError{Written: wrote.Load(), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return Answer{}, &SendError{Written: true, Status: resp.StatusCode, Header: resp.Header, Err: err}
	}
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// TransportError classifies a call that got no whole answer: retryable,
// unless it may have acted (write: it creates a post, and its request was
// written), when the outcome is unknown. scrub removes secrets from the
// message.
func TransportError(network herald.Network, op string, err error, write bool, scrub func(string) string) *herald.Error {
	var se *SendError
	// It may have acted when the request was written and no answer, or a
	// 2xx one whose body broke off, came back.
	acted := errors.As(err, &se) && se.Written && (se.Status == 0 || (se.Status >= 200 && se.Status <= 299))
	kind := herald.ErrRetryable
	if write && acted {
		kind = herald.ErrUnknownOutcome
	}
	e := &herald.Error{Kind: kind, Network: network, Op: op, Message: err.Error()}
	if se != nil {
		e.Status = se.Status
	}
	if scrub != nil {
		e.Message = scrub(e.Message)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		e.Err = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		e.Err = context.Canceled
	default:
		e.Err = errors.New(e.Message)
	}
	return e
}

// Hooks are what a network supplies to Call: its name and operation, and
// how it reads its error answers.
type Hooks struct {
	Network herald.Network
	Op      string
	// Write marks a call that creates a post: a lost answer leaves its
	// outcome unknown.
	Write bool
	// Classify turns a non-2xx answer to the operation op into the
	// network's *herald.Error.
	Classify func(op string, status int, h http.Header, body []byte) *herald.Error
	// Scrub removes secrets from messages (nil: none to remove).
	Scrub func(string) string
}

// Call makes one call with Do, classifies any failure with hooks, and
// decodes a 2xx JSON answer into out (when not nil). It returns the answer's
// headers (for the rate-limit headers) whenever there was an answer.
func Call(ctx context.Context, hc *http.Client, rq Request, hooks Hooks, out any) (http.Header, error) {
	a, err := Do(ctx, hc, rq)
	var se *SendError
	switch {
	case errors.Is(err, ErrBuild):
		return nil, &herald.Error{Kind: herald.ErrPermanent, Network: hooks.Network, Op: hooks.Op, Message: err.Error(), Err: err}
	case errors.As(err, &se):
		return se.Header, TransportError(hooks.Network, hooks.Op, err, hooks.Write, hooks.Scrub)
	case !a.OK():
		return a.Header, hooks.Classify(hooks.Op, a.Status, a.Header, a.Body)
	}
	if out != nil {
		if err := json.Unmarshal(a.Body, out); err != nil {
			kind := herald.ErrRetryable
			if hooks.Write {
				kind = herald.ErrUnknownOutcome // a 2xx that is not what was asked: the post may exist
			}
			return a.Header, &herald.Error{Kind: kind, Network: hooks.Network, Op: hooks.Op, Status: a.Status,
				Message: fmt.Sprintf("answer is not JSON (%d bytes)", len(a.Body)), Err: err}
		}
	}
	return a.Header, nil
}

// StatusKind is the classification of a non-2xx status shared by the
// networks, for what their own error codes do not decide: 401 and 403
// auth, 429 rate-limited, a gateway timeout on a write unknown (the server
// behind the proxy may have acted), 5xx and 408 retryable, the rest
// permanent.
func StatusKind(status int, write bool) herald.ErrorKind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return herald.ErrAuth
	case status == http.StatusTooManyRequests:
		return herald.ErrRateLimited
	case write && (status == http.StatusBadGateway || status == http.StatusGatewayTimeout):
		return herald.ErrUnknownOutcome
	case status >= 500 || status == http.StatusRequestTimeout:
		return herald.ErrRetryable
	}
	return herald.ErrPermanent
}

// ParseReset reads a rate-limit reset: Unix seconds (X, Bluesky) or an
// RFC 3339 time (Mastodon).
func ParseReset(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), n > 0
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil
}

// Limit reads one allowance reported as prefix+"limit", "remaining" and
// "reset" ("x-rate-limit-", "X-RateLimit-", "ratelimit-"). A reset not
// after now is left zero when dropPast is set.
func Limit(h http.Header, prefix string, now time.Time, dropPast bool) (herald.RateLimit, bool) {
	limit, err1 := strconv.Atoi(h.Get(prefix + "limit"))
	remaining, err2 := strconv.Atoi(h.Get(prefix + "remaining"))
	if err1 != nil || err2 != nil {
		return herald.RateLimit{}, false
	}
	l := herald.RateLimit{Limit: limit, Remaining: remaining}
	if reset, ok := ParseReset(h.Get(prefix + "reset")); ok && (!dropPast || reset.After(now)) {
		l.Reset = reset
	}
	return l, true
}

// Limits is Limit for the networks that report one allowance per answer
// (Mastodon, Bluesky), with a reset not after now left zero: that allowance,
// or none when the answer does not report it.
func Limits(h http.Header, prefix string, now time.Time) []herald.RateLimit {
	if l, ok := Limit(h, prefix, now, true); ok {
		return []herald.RateLimit{l}
	}
	return nil
}

// RetryAt is when a rate-limited call may be made again: the time in the
// header named reset (see ParseReset) when it has one, otherwise wait from
// now.
func RetryAt(h http.Header, reset string, now time.Time, wait time.Duration) time.Time {
	if t, ok := ParseReset(h.Get(reset)); ok {
		return t
	}
	return now.Add(wait)
}

// RetryAfter reads Retry-After: seconds or an HTTP date.
func RetryAfter(h http.Header, now time.Time) (time.Time, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return time.Time{}, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return now.Add(time.Duration(s) * time.Second), true
	}
	t, err := http.ParseTime(v)
	return t, err == nil
}

// ParseBase reads a network's base URL from the configuration: an http(s)
// URL with a host, its trailing slash dropped.
func ParseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("must be an http(s) URL")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// NewHTTPClient is a client bounded in time end to end.
func NewHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
	}}
}

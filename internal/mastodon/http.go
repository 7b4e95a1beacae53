package mastodon

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

// Operations, as they appear in errors.
const (
	opPublish    = "create post"
	opFind       = "find post"
	opEngagement = "read engagement"
	opDelete     = "delete post"
	opCheck      = "check account"
)

// maxBody bounds how much of an answer is read.
const maxBody = 4 << 20

// request is one REST call.
type request struct {
	op, method, path string
	query            url.Values
	body             any // sent as JSON when not nil
	idempotencyKey   string
	// oneOff closes the connection after the answer: a read made once, just
	// before a post, does not hand that post a reused connection.
	oneOff bool
}

// do makes one call and decodes a 2xx JSON answer into out (when not nil).
// Every failure comes back as a *herald.Error; the headers of any answer are
// returned for the rate-limit headers.
func (c *Client) do(ctx context.Context, rq request, out any) (http.Header, error) {
	u := *c.base
	u.Path += rq.path
	u.RawQuery = rq.query.Encode()
	var body io.Reader
	if rq.body != nil {
		b, err := json.Marshal(rq.body)
		if err != nil {
			return nil, &herald.Error{Kind: herald.ErrPermanent, Network: herald.Mastodon, Op: rq.op, Err: err}
		}
		body = bytes.NewReader(b)
	}
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		// The transport may retry on a new connection (a request with an
		// Idempotency-Key counts as replayable): what matters is the last attempt.
		GetConn:      func(string) { wrote.Store(false) },
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	req, err := http.NewRequestWithContext(ctx, rq.method, u.String(), body)
	if err != nil {
		return nil, &herald.Error{Kind: herald.ErrPermanent, Network: herald.Mastodon, Op: rq.op, Err: err}
	}
	req.Close = rq.oneOff
	req.Header.Set("Authorization", "Bearer "+c.cfg.AccessToken)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", rq.idempotencyKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(rq.op, 0, wrote.Load(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.Header, c.transportError(rq.op, resp.StatusCode, true, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, c.classify(rq.op, resp.StatusCode, resp.Header, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			kind := herald.ErrRetryable
			if rq.op == opPublish {
				kind = herald.ErrUnknownOutcome // a 2xx that is not a status: it may exist
			}
			return resp.Header, &herald.Error{Kind: kind, Network: herald.Mastodon, Op: rq.op, Status: resp.StatusCode,
				Message: fmt.Sprintf("answer is not JSON (%d bytes)", len(data)), Err: err}
		}
	}
	return resp.Header, nil
}

// transportError classifies a call that got no (whole) answer. A post whose
// request was written may have been made: only reconciliation can tell.
func (c *Client) transportError(op string, status int, sent bool, err error) *herald.Error {
	kind := herald.ErrRetryable
	if op == opPublish && sent {
		kind = herald.ErrUnknownOutcome
	}
	e := &herald.Error{Kind: kind, Network: herald.Mastodon, Op: op, Status: status, Message: c.scrub(err.Error())}
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

// classify turns a non-2xx answer into a *herald.Error, on the status, with
// the API's {"error": "..."} as the message.
func (c *Client) classify(op string, status int, h http.Header, body []byte) *herald.Error {
	var apiErr struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	e := &herald.Error{Network: herald.Mastodon, Op: op, Status: status}
	if json.Unmarshal(body, &apiErr) == nil && apiErr.Error != "" {
		e.Message = apiErr.Error
		if apiErr.Description != "" && apiErr.Description != apiErr.Error {
			e.Message += ": " + apiErr.Description
		}
	} else {
		e.Message = fmt.Sprintf("HTTP %d with a non-JSON body (%s, %d bytes)", status, h.Get("Content-Type"), len(body))
	}
	e.Message = c.scrub(e.Message)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// Invalid or revoked token, a missing scope, a suspended account.
		e.Kind = herald.ErrAuth
	case status == http.StatusTooManyRequests:
		e.Kind = herald.ErrRateLimited
		e.RetryAt = c.cfg.Now().Add(c.cfg.RateLimitWait)
		if reset, ok := parseReset(h.Get("X-RateLimit-Reset")); ok {
			e.RetryAt = reset
		}
	case op == opPublish && (status == http.StatusBadGateway || status == http.StatusGatewayTimeout):
		// A proxy gave up waiting: the server behind it may have made the status.
		e.Kind = herald.ErrUnknownOutcome
	case status >= 500 || status == http.StatusRequestTimeout:
		e.Kind = herald.ErrRetryable
	default:
		// 422 (too long, invalid visibility), 404, 400: the request is wrong.
		e.Kind = herald.ErrPermanent
	}
	return e
}

// isNotFound reports a 404 or 410 answer: the status does not exist (any more).
func isNotFound(err error) bool {
	var e *herald.Error
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusGone)
}

// parseReset reads X-RateLimit-Reset, an ISO 8601 time.
func parseReset(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil
}

// limitsFrom reads X-RateLimit-Limit, -Remaining and -Reset. Mastodon sends
// the throttle closest to its limit.
func limitsFrom(h http.Header, now time.Time) []herald.RateLimit {
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if err1 != nil || err2 != nil {
		return nil
	}
	l := herald.RateLimit{Limit: limit, Remaining: remaining}
	if reset, ok := parseReset(h.Get("X-RateLimit-Reset")); ok && reset.After(now) {
		l.Reset = reset
	}
	return []herald.RateLimit{l}
}

// scrub replaces the access token with "***".
func (c *Client) scrub(s string) string {
	if c.cfg.AccessToken == "" {
		return s
	}
	s = strings.ReplaceAll(s, c.cfg.AccessToken, "***")
	return strings.ReplaceAll(s, url.QueryEscape(c.cfg.AccessToken), "***")
}

// newHTTPClient is bounded in time end to end.
func newHTTPClient(timeout time.Duration) *http.Client {
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

package bluesky

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
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Operations, as they appear in errors.
const (
	opPublish    = "create post"
	opUpload     = "upload thumb"
	opFind       = "find post"
	opEngagement = "read engagement"
	opDelete     = "delete post"
	opCheck      = "check account"
	opSession    = "create session"
	opRefresh    = "refresh session"
)

// maxBody bounds how much of an answer is read.
const maxBody = 4 << 20

// XRPCError is an XRPC error answer: {"error": Name, "message": Message}.
// A classified *herald.Error wraps it.
type XRPCError struct {
	Status  int
	Name    string // e.g. ExpiredToken, InvalidRequest, RateLimitExceeded
	Message string
}

func (e *XRPCError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Name, e.Message)
}

// authErrors are the XRPC error names that mean the credentials do not work.
var authErrors = []string{"AuthenticationRequired", "InvalidToken", "ExpiredToken", "AuthMissing",
	"AccountTakedown", "AccountDeactivated", "AccountSuspended"}

// xcall is one XRPC call.
type xcall struct {
	op     string
	method string
	nsid   string
	query  url.Values
	body   any // sent as JSON when not nil
	// raw is sent as it is with contentType (uploadBlob).
	raw         []byte
	contentType string
}

// send makes one call with bearer (may be "") and decodes a 2xx answer into
// out. Failures are classified *herald.Error values wrapping an *XRPCError
// when the server answered with one.
func (c *Client) send(ctx context.Context, x xcall, bearer string, out any) (http.Header, error) {
	u := *c.base
	u.Path += "/xrpc/" + x.nsid
	u.RawQuery = x.query.Encode()
	var body io.Reader
	ctype := ""
	switch {
	case x.raw != nil:
		body, ctype = bytes.NewReader(x.raw), x.contentType
	case x.body != nil:
		b, err := json.Marshal(x.body)
		if err != nil {
			return nil, &herald.Error{Kind: herald.ErrPermanent, Network: herald.Bluesky, Op: x.op, Err: err}
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		// The transport may retry on a new connection (a request with an
		// Idempotency-Key counts as replayable): what matters is the last attempt.
		GetConn:      func(string) { wrote.Store(false) },
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	req, err := http.NewRequestWithContext(ctx, x.method, u.String(), body)
	if err != nil {
		return nil, &herald.Error{Kind: herald.ErrPermanent, Network: herald.Bluesky, Op: x.op, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(x.op, 0, wrote.Load(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.Header, c.transportError(x.op, resp.StatusCode, true, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, c.classify(x.op, resp.StatusCode, resp.Header, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			kind := herald.ErrRetryable
			if x.op == opPublish {
				kind = herald.ErrUnknownOutcome
			}
			return resp.Header, &herald.Error{Kind: kind, Network: herald.Bluesky, Op: x.op, Status: resp.StatusCode,
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
	e := &herald.Error{Kind: kind, Network: herald.Bluesky, Op: op, Status: status, Message: c.scrub(err.Error())}
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

// classify turns a non-2xx answer into a *herald.Error on its XRPC error
// name, then its status.
func (c *Client) classify(op string, status int, h http.Header, body []byte) *herald.Error {
	xe := &XRPCError{Status: status}
	var v struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &v) == nil && v.Error != "" {
		xe.Name, xe.Message = v.Error, c.scrub(v.Message)
	} else {
		xe.Message = fmt.Sprintf("non-XRPC body (%s, %d bytes)", h.Get("Content-Type"), len(body))
	}
	e := &herald.Error{Network: herald.Bluesky, Op: op, Status: status, Message: strings.TrimPrefix(xe.Name+": "+xe.Message, ": "), Err: xe}
	switch {
	case status == http.StatusTooManyRequests || xe.Name == "RateLimitExceeded":
		e.Kind = herald.ErrRateLimited
		e.RetryAt = c.cfg.Now().Add(c.cfg.RateLimitWait)
		if reset, err := strconv.ParseInt(h.Get("ratelimit-reset"), 10, 64); err == nil && reset > 0 {
			e.RetryAt = time.Unix(reset, 0)
		}
	case slices.Contains(authErrors, xe.Name) || status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind = herald.ErrAuth
	case op == opPublish && (status == http.StatusBadGateway || status == http.StatusGatewayTimeout):
		// A proxy gave up waiting: the PDS behind it may have made the post.
		e.Kind = herald.ErrUnknownOutcome
	case status >= 500 || status == http.StatusRequestTimeout:
		e.Kind = herald.ErrRetryable
	default:
		// InvalidRequest (too long, a bad facet), BlobTooLarge, ...
		e.Kind = herald.ErrPermanent
	}
	return e
}

// xrpcName returns the XRPC error name carried by err, "" when none.
func xrpcName(err error) string {
	var xe *XRPCError
	if errors.As(err, &xe) {
		return xe.Name
	}
	return ""
}

// limitsFrom reads ratelimit-limit, -remaining and -reset (Unix seconds).
func limitsFrom(h http.Header, now time.Time) []herald.RateLimit {
	limit, err1 := strconv.Atoi(h.Get("ratelimit-limit"))
	remaining, err2 := strconv.Atoi(h.Get("ratelimit-remaining"))
	if err1 != nil || err2 != nil {
		return nil
	}
	l := herald.RateLimit{Limit: limit, Remaining: remaining}
	if reset, err := strconv.ParseInt(h.Get("ratelimit-reset"), 10, 64); err == nil && time.Unix(reset, 0).After(now) {
		l.Reset = time.Unix(reset, 0)
	}
	return []herald.RateLimit{l}
}

// scrub replaces the app password and the session's tokens with "***".
func (c *Client) scrub(s string) string {
	c.mu.Lock()
	secrets := []string{c.cfg.AppPassword, c.sess.access, c.sess.refresh}
	c.mu.Unlock()
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
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

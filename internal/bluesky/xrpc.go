package bluesky

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/httpjson"
)

// Operations of Bluesky's own, as they appear in errors, besides the
// Publisher's (herald.OpPublish, ...).
const (
	opUpload  = "upload thumb"
	opSession = "create session"
	opRefresh = "refresh session"
)

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
	u.RawQuery = ""
	h := http.Header{}
	if bearer != "" {
		h.Set("Authorization", "Bearer "+bearer)
	}
	return httpjson.Call(ctx, c.hc, httpjson.Request{Method: x.method, URL: &u, Query: x.query,
		JSON: x.body, Raw: x.raw, ContentType: x.contentType, Header: h}, httpjson.Hooks{Network: herald.Bluesky,
		Op: x.op, Write: x.op == herald.OpPublish, Scrub: c.scrub, Classify: c.classify}, out)
}

// classify turns a non-2xx answer into a *herald.Error on its XRPC error
// name, then its status.
func (c *Client) classify(op string, status int, h http.Header, body []byte) *herald.Error {
	xe, ok := decodeXRPCError(status, body)
	if ok {
		xe.Message = c.scrub(xe.Message)
	} else {
		xe.Name, xe.Message = "", fmt.Sprintf("non-XRPC body (%s, %d bytes)", h.Get("Content-Type"), len(body))
	}
	e := &herald.Error{Network: herald.Bluesky, Op: op, Status: status, Message: strings.TrimPrefix(xe.Name+": "+xe.Message, ": "), Err: xe}
	// The XRPC error name first, then the status; InvalidRequest (too long,
	// a bad facet), BlobTooLarge, ... are permanent.
	switch {
	case xe.Name == "RateLimitExceeded":
		e.Kind = herald.ErrRateLimited
	case slices.Contains(authErrors, xe.Name):
		e.Kind = herald.ErrAuth
	default:
		e.Kind = httpjson.StatusKind(status, op == herald.OpPublish)
	}
	if e.Kind == herald.ErrRateLimited {
		e.RetryAt = httpjson.RetryAt(h, "ratelimit-reset", c.cfg.Now(), c.cfg.RateLimitWait)
	}
	return e
}

// decodeXRPCError reads an XRPC error answer, {"error": Name, "message":
// Message}; ok reports a body that is one, with a name.
func decodeXRPCError(status int, body []byte) (xe *XRPCError, ok bool) {
	var v struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	err := json.Unmarshal(body, &v)
	return &XRPCError{Status: status, Name: v.Error, Message: v.Message}, err == nil && v.Error != ""
}

// xrpcCall makes one XRPC call without a session and decodes a 200 answer
// into out; an XRPC error answer comes back as an *XRPCError.
func xrpcCall(ctx context.Context, client *http.Client, method, u string, in, out any) error {
	target, err := url.Parse(u)
	if err != nil {
		return err
	}
	a, err := httpjson.Do(ctx, client, httpjson.Request{Method: method, URL: target, JSON: in})
	if err != nil {
		return err
	}
	if a.Status != http.StatusOK {
		xe, _ := decodeXRPCError(a.Status, a.Body)
		return xe
	}
	if err := json.Unmarshal(a.Body, out); err != nil {
		return errors.New("unreadable answer")
	}
	return nil
}

// xrpcName returns the XRPC error name carried by err, "" when none.
func xrpcName(err error) string {
	var xe *XRPCError
	if errors.As(err, &xe) {
		return xe.Name
	}
	return ""
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

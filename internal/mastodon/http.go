package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/httpjson"
)

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
	h := http.Header{"Authorization": {"Bearer " + c.cfg.AccessToken}}
	if rq.idempotencyKey != "" {
		h.Set("Idempotency-Key", rq.idempotencyKey)
	}
	u.RawQuery = ""
	return httpjson.Call(ctx, c.hc, httpjson.Request{Method: rq.method, URL: &u, Query: rq.query,
		JSON: rq.body, Header: h, Close: rq.oneOff}, httpjson.Hooks{Network: herald.Mastodon, Op: rq.op,
		Write: rq.op == herald.OpPublish, Scrub: c.scrub, Classify: c.classify}, out)
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
	// 401/403: an invalid or revoked token, a missing scope, a suspended
	// account; 422 (too long, invalid visibility), 404, 400: permanent.
	e.Kind = httpjson.StatusKind(status, op == herald.OpPublish)
	if e.Kind == herald.ErrRateLimited {
		e.RetryAt = httpjson.RetryAt(h, "X-RateLimit-Reset", c.cfg.Now(), c.cfg.RateLimitWait)
	}
	return e
}

// isNotFound reports a 404 or 410 answer: the status does not exist (any more).
func isNotFound(err error) bool {
	var e *herald.Error
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusGone)
}

// scrub replaces the access token with "***".
func (c *Client) scrub(s string) string {
	if c.cfg.AccessToken == "" {
		return s
	}
	s = strings.ReplaceAll(s, c.cfg.AccessToken, "***")
	return strings.ReplaceAll(s, url.QueryEscape(c.cfg.AccessToken), "***")
}

package facebook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	fb "github.com/huandu/facebook/v2"

	"github.com/heraldhq/herald/internal/herald"
)

// classify turns any failure of a Graph call into a *herald.Error, decided on
// the Graph error code rather than the HTTP status, with every secret
// scrubbed from what it says.
func (c *Client) classify(op string, call *callInfo, err error) *herald.Error {
	status, header := call.answer()
	e := &herald.Error{Network: herald.Facebook, Op: op, Status: status}
	var fe *fb.Error
	var se *StatusError
	var ue *fb.UnmarshalError
	switch {
	case errors.As(err, &fe):
		c.classifyGraph(e, fe, header)
	case errors.As(err, &se):
		e.Status = se.Status
		e.Kind = statusKind(op, se.Status)
		e.Message = "no Graph answer: " + se.Error()
	case errors.As(err, &ue):
		// A 2xx answer that is not JSON: for a post, it may have been made.
		e.Kind = herald.ErrRetryable
		if op == herald.OpPublish {
			e.Kind = herald.ErrUnknownOutcome
		}
		e.Message = fmt.Sprintf("answer is not Graph JSON (%d bytes)", len(ue.Payload))
	default:
		e.Kind = herald.ErrRetryable
		if op == herald.OpPublish && call.sent() {
			// The request may have reached the API: only reconciliation can tell.
			e.Kind = herald.ErrUnknownOutcome
		}
		e.Message = c.scrub(err.Error())
	}
	e.Err = c.redact(err)
	return e
}

// classifyGraph decides on a Graph error object's code.
func (c *Client) classifyGraph(e *herald.Error, fe *fb.Error, header http.Header) {
	e.Code = fe.Code
	e.Message = c.scrub(graphMessage(fe))
	now := c.now()
	switch code := fe.Code; {
	case code == 190 || code == 102:
		e.Kind = herald.ErrAuth // expired, revoked or invalid token
	case code == 3 || code == 10 || (code >= 200 && code <= 299):
		e.Kind = herald.ErrAuth // a permission is missing: an operator must act
	case code == 100 && strings.Contains(fe.Message, "appsecret_proof"):
		e.Kind = herald.ErrAuth // app_secret does not match the token's app
	case isThrottle(code):
		e.Kind = herald.ErrRateLimited
		e.RetryAt = retryAt(header, now, c.cfg.RateLimitWait)
	case code == 368:
		// Temporarily blocked for a policy violation: hold the account longer.
		e.Kind = herald.ErrRateLimited
		e.RetryAt = retryAt(header, now, c.cfg.BlockedWait)
		if floor := now.Add(c.cfg.BlockedWait); e.RetryAt.Before(floor) {
			e.RetryAt = floor
		}
	case code == 506:
		e.Kind = herald.ErrDuplicate
	case code == 1609005 || fe.ErrorSubcode == 1609005:
		// Facebook could not fetch the link. For a story just published this
		// is often the site's cache or CDN not serving the page yet; bounded
		// retries give it time, and a link that never works ends failed.
		e.Kind = herald.ErrRetryable
	case code == 1 || code == 2 || fe.IsTransient:
		e.Kind = herald.ErrRetryable
	case e.Status >= 500:
		e.Kind = herald.ErrRetryable
	default:
		e.Kind = herald.ErrPermanent // 100 and the rest: the request itself is wrong
	}
}

// isThrottle reports the Graph codes that mean "slow down".
func isThrottle(code int) bool {
	switch code {
	case 4, 17, 32, 341, 613:
		return true
	}
	return code >= 80001 && code <= 80014 // Business Use Case limits
}

// statusKind classifies a non-2xx answer that carried no Graph error.
func statusKind(op string, status int) herald.ErrorKind {
	switch {
	case op == herald.OpPublish && (status == http.StatusBadGateway || status == http.StatusGatewayTimeout):
		// A gateway gave up waiting: the API behind it may have made the post.
		return herald.ErrUnknownOutcome
	case status >= 500, status == http.StatusTooManyRequests, status == http.StatusRequestTimeout:
		return herald.ErrRetryable
	default:
		return herald.ErrPermanent // a proxy refusing us, a wrong graph_base_url
	}
}

// graphMessage keeps the API's words for the operator, with the subcode,
// the user-facing text and the trace id Facebook support asks for.
func graphMessage(fe *fb.Error) string {
	msg := fe.Message
	if fe.UserMessage != "" && !strings.Contains(msg, fe.UserMessage) {
		msg += " (" + fe.UserMessage + ")"
	}
	var extra []string
	if fe.ErrorSubcode != 0 {
		extra = append(extra, fmt.Sprintf("subcode %d", fe.ErrorSubcode))
	}
	if fe.TraceID != "" {
		extra = append(extra, "fbtrace_id "+fe.TraceID)
	}
	if len(extra) > 0 {
		msg += " [" + strings.Join(extra, ", ") + "]"
	}
	return msg
}

// retryAt is when a throttled page may call again: the Business Use Case
// header's estimated_time_to_regain_access (minutes) for an exhausted entry,
// otherwise now+fallback.
func retryAt(h http.Header, now time.Time, fallback time.Duration) time.Time {
	var buc fb.BusinessUseCaseUsage
	if v := h.Get("X-Business-Use-Case-Usage"); v == "" || json.Unmarshal([]byte(v), &buc) != nil {
		return now.Add(fallback)
	}
	est, found := 0, false
	for _, entries := range buc {
		for _, u := range entries {
			if u != nil && (u.EstimatedTimeToRegainAccess > 0 || usedUp(*u)) {
				est, found = max(est, u.EstimatedTimeToRegainAccess), true
			}
		}
	}
	if !found {
		return now.Add(fallback)
	}
	return now.Add(time.Duration(est) * time.Minute)
}

func usedUp(u fb.RateLimiting) bool {
	return u.CallCount >= 100 || u.TotalTime >= 100 || u.TotalCPUTime >= 100
}

// limitsFrom reads the usage headers of an answer as allowances in percent:
// Limit 100, Remaining what is left of the most used measure. An exhausted
// allowance resets when the API says, or after fallback.
func limitsFrom(h http.Header, now time.Time, fallback time.Duration) []herald.RateLimit {
	var out []herald.RateLimit
	add := func(u fb.RateLimiting) {
		used := max(u.CallCount, u.TotalTime, u.TotalCPUTime)
		l := herald.RateLimit{Limit: 100, Remaining: max(100-used, 0)}
		if u.EstimatedTimeToRegainAccess > 0 {
			l.Reset = now.Add(time.Duration(u.EstimatedTimeToRegainAccess) * time.Minute)
		} else if l.Remaining == 0 {
			l.Reset = now.Add(fallback)
		}
		out = append(out, l)
	}
	for _, name := range []string{"X-App-Usage", "X-Page-Usage"} {
		var u fb.RateLimiting
		if v := h.Get(name); v != "" && json.Unmarshal([]byte(v), &u) == nil {
			add(u)
		}
	}
	var buc fb.BusinessUseCaseUsage
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" && json.Unmarshal([]byte(v), &buc) == nil {
		for _, entries := range buc {
			for _, u := range entries {
				if u != nil {
					add(*u)
				}
			}
		}
	}
	return out
}

// scrub replaces every secret (token, app secret, proofs), raw or
// URL-encoded, with "***".
func (c *Client) scrub(s string) string {
	for _, secret := range c.secrets {
		s = strings.ReplaceAll(s, secret, "***")
		if q := url.QueryEscape(secret); q != secret {
			s = strings.ReplaceAll(s, q, "***")
		}
	}
	return s
}

// redactedError carries a scrubbed message and only the parts of the cause
// that cannot hold a secret: the Graph error, the status error, or the
// context's error, so errors.Is / errors.As still work on them.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

func (c *Client) redact(err error) error {
	r := &redactedError{msg: c.scrub(err.Error())}
	var fe *fb.Error
	var se *StatusError
	switch {
	case errors.As(err, &fe):
		cp := *fe
		cp.Message = c.scrub(cp.Message)
		r.cause = &cp
	case errors.As(err, &se):
		r.cause = se
	case errors.Is(err, context.DeadlineExceeded):
		r.cause = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		r.cause = context.Canceled
	}
	return r
}

package twitter

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/httpjson"
)

// apiError is what an error answer said, in either of X's shapes: a v2
// problem object or the v1.1 {"errors":[{"code","message"}]}.
type apiError struct {
	Code    int
	Message string
}

// parseAPIError reads an error body; an unparseable body leaves the HTTP
// status to speak.
func parseAPIError(body []byte) apiError {
	var b struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Code    json.RawMessage `json:"code"`
			Message string          `json:"message"`
			Detail  string          `json:"detail"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &b) != nil {
		return apiError{}
	}
	var out apiError
	if len(b.Errors) > 0 {
		out.Code, _ = strconv.Atoi(string(b.Errors[0].Code))
		out.Message = b.Errors[0].Message
		if out.Message == "" {
			out.Message = b.Errors[0].Detail
		}
	}
	switch {
	case b.Detail != "" && b.Detail != b.Title && !strings.HasPrefix(b.Detail, "One or more parameters"):
		out.Message = b.Detail
	case out.Message == "" && b.Detail != "":
		out.Message = b.Detail
	case out.Message == "":
		out.Message = b.Title
	}
	return out
}

// classify turns an error answer into a *herald.Error. write says the call
// creates a post, where a gateway timeout leaves the outcome unknown.
//
// v1.1 codes: 187 duplicate; 186 too long (permanent); 385 reply to a post
// not (yet) visible (retryable); 88 rate limit and 185
// daily update limit (rate-limited); 32, 89, 64, 326 credentials or account
// (auth); 453 "no v1.1 access on this level" is auth as well: nothing Herald
// can retry fixes it, the operator must switch the account to api v2, and
// pausing the account keeps its jobs pending instead of failing every story.
// 402 (credits used up) is auth for the same reason: it needs a person.
func classify(op string, status int, h http.Header, ae apiError, write bool) *herald.Error {
	e := &herald.Error{Network: herald.Twitter, Op: op, Status: status, Code: ae.Code, Message: trim(ae.Message)}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	msg := strings.ToLower(ae.Message)
	switch {
	case status == http.StatusTooManyRequests || ae.Code == 88 || ae.Code == 185:
		e.Kind, e.RetryAt = herald.ErrRateLimited, retryAt(h, time.Now())
	case ae.Code == 187 || strings.Contains(msg, "duplicate content"):
		e.Kind = herald.ErrDuplicate
	case ae.Code == 186 || strings.Contains(msg, "too long"):
		e.Kind = herald.ErrPermanent
	case ae.Code == 130 || ae.Code == 131:
		e.Kind = herald.ErrRetryable
	case ae.Code == 385 || strings.Contains(msg, "reply to a tweet that is deleted or not visible"):
		// A 403 that is no credentials matter: the post answered is gone,
		// or, right after it was made, not yet visible (X says so for a
		// thread sent too fast), so the reply is tried again.
		e.Kind = herald.ErrRetryable
	case status == http.StatusUnauthorized, status == http.StatusPaymentRequired, status == http.StatusForbidden,
		ae.Code == 32, ae.Code == 89, ae.Code == 64, ae.Code == 326, ae.Code == 453:
		e.Kind = herald.ErrAuth
	case status == http.StatusGatewayTimeout && write:
		e.Kind = herald.ErrUnknownOutcome
	case status >= 500, status == http.StatusRequestTimeout:
		e.Kind = herald.ErrRetryable
	default:
		e.Kind = herald.ErrPermanent
	}
	return e
}

// transportError classifies a call that got no answer. Before the request
// was written nothing reached X, so it can be sent again; after, a post may
// exist (reconcile first). Reads are safe to repeat either way.
func transportError(op string, err error, wrote, write bool) *herald.Error {
	kind := herald.ErrRetryable
	if wrote && write {
		kind = herald.ErrUnknownOutcome
	}
	return &herald.Error{Kind: kind, Network: herald.Twitter, Op: op, Message: errorText(err), Err: err}
}

// errorText is err's text for the operator.
func errorText(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout: " + err.Error()
	}
	return err.Error()
}

func trim(s string) string {
	if len(s) > 500 {
		return s[:500] + "…"
	}
	return s
}

// limitHeaders are the allowances X reports, in the order Receipt.Limits
// lists them: the 15-minute window, the user's day, the app's day.
var limitHeaders = []string{"x-rate-limit-", "x-user-limit-24hour-", "x-app-limit-24hour-"}

// limits reads the rate-limit headers of an answer.
func limits(h http.Header) []herald.RateLimit {
	var out []herald.RateLimit
	for _, p := range limitHeaders {
		if l, ok := httpjson.Limit(h, p, time.Time{}, false); ok && !l.Reset.IsZero() {
			out = append(out, l)
		}
	}
	return out
}

// retryAt is when a rate-limited call may be made again: the reset of every
// exhausted allowance (the 24-hour ones outlast the window), else the
// window's reset, else Retry-After, else a full window from now.
func retryAt(h http.Header, now time.Time) time.Time {
	var at time.Time
	for _, p := range limitHeaders {
		reset, err := strconv.ParseInt(h.Get(p+"reset"), 10, 64)
		if err != nil {
			continue
		}
		if rem := h.Get(p + "remaining"); rem == "0" || (p == limitHeaders[0] && at.IsZero()) {
			if t := time.Unix(reset, 0); t.After(at) {
				at = t
			}
		}
	}
	if at.IsZero() {
		if t, ok := httpjson.RetryAfter(h, now); ok {
			at = t
		} else {
			at = now.Add(15 * time.Minute)
		}
	}
	if at.Before(now) {
		at = now
	}
	return at
}

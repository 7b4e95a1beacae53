package emulator

import (
	"net/http"
	"strconv"
	"time"
)

// xProblemBase is where v2 problem types live.
const xProblemBase = "https://api.x.com/2/problems/"

// problem is a v2 error answer: an RFC 7807-style problem object.
func xProblem(status int, title, typ, detail string) reply {
	return reply{status: status, header: http.Header{}, body: map[string]any{
		"title": title, "type": typ, "status": status, "detail": detail,
	}}
}

// xInvalid is the v2 answer to a bad parameter.
func xInvalid(param, value, msg string) reply {
	return reply{status: http.StatusBadRequest, header: http.Header{}, body: map[string]any{
		"errors": []any{map[string]any{
			"parameters": map[string]any{param: []string{value}},
			"message":    msg,
		}},
		"title":  "Invalid Request",
		"detail": "One or more parameters to your request was invalid.",
		"type":   xProblemBase + "invalid-request",
	}}
}

// xNotFound is one entry of a v2 "errors" array for a missing resource.
func xNotFound(resource, param, id string) map[string]any {
	return map[string]any{
		"value":         id,
		"detail":        "Could not find " + resource + " with " + param + ": [" + id + "].",
		"title":         "Not Found Error",
		"resource_type": resource,
		"parameter":     param,
		"resource_id":   id,
		"type":          xProblemBase + "resource-not-found",
	}
}

// xV11Error is a v1.1 error answer.
func xV11Error(status, code int, msg string) reply {
	return reply{status: status, header: http.Header{}, body: map[string]any{
		"errors": []any{map[string]any{"code": code, "message": msg}},
	}}
}

func xUnauthorized() reply {
	return xProblem(http.StatusUnauthorized, "Unauthorized", "about:blank", "Unauthorized")
}

// xWindow is one fixed rate-limit window of one user on one endpoint.
type xWindow struct {
	start time.Time
	used  int
}

// xLimit is a window's state as reported in headers.
type xLimit struct {
	max       int // -1: unlimited, nothing reported
	remaining int
	reset     time.Time
}

// current returns the window for key, opening a new one when the last has
// ended. Caller holds mu.
func (x *X) current(key string, period time.Duration) *xWindow {
	now := x.opts.Now()
	return currentWindow(x.windows, key, now, now, period)
}

// currentWindow returns ws's window for key, opening a new one that starts
// at start when the last has ended by now. X's windows start at their first
// request; Mastodon's and Bluesky's are aligned to their length.
func currentWindow(ws map[string]*xWindow, key string, now, start time.Time, length time.Duration) *xWindow {
	w := ws[key]
	if w == nil || !now.Before(w.start.Add(length)) {
		w = &xWindow{start: start}
		ws[key] = w
	}
	return w
}

// take counts one request against each (key, max, period) allowance, all or
// nothing. It returns the allowances' states and whether the request is
// within all of them. Caller holds mu.
func (x *X) take(allowances ...xAllowance) ([]xLimit, bool) {
	out := make([]xLimit, len(allowances))
	ok := true
	ws := make([]*xWindow, len(allowances))
	for i, a := range allowances {
		if a.max < 0 {
			out[i] = xLimit{max: -1}
			continue
		}
		ws[i] = x.current(a.key, a.period)
		if ws[i].used >= a.max {
			ok = false
		}
	}
	for i, a := range allowances {
		if ws[i] == nil {
			continue
		}
		if ok {
			ws[i].used++
		}
		out[i] = xLimit{max: a.max, remaining: max(a.max-ws[i].used, 0), reset: ws[i].start.Add(a.period)}
	}
	return out, ok
}

type xAllowance struct {
	key    string
	max    int
	period time.Duration
}

// postAllowances are a user's 15-minute and 24-hour posting allowances.
func (x *X) postAllowances(userID string) []xAllowance {
	return []xAllowance{
		{key: userID + " post", max: x.opts.PostLimit, period: x.opts.Window},
		{key: userID + " post24h", max: x.opts.PostLimit24h, period: 24 * time.Hour},
	}
}

// readAllowance is a user's allowance on one read endpoint.
func (x *X) readAllowance(userID, endpoint string) xAllowance {
	return xAllowance{key: userID + " " + endpoint, max: x.opts.ReadLimit, period: x.opts.Window}
}

// xOK is a 200 answer with body and the rate-limit headers of limits.
func xOK(body any, limits []xLimit) reply {
	rep := reply{status: http.StatusOK, header: http.Header{}, body: body}
	xSetLimitHeaders(rep.header, limits)
	return rep
}

// xSetLimitHeaders writes the window's x-rate-limit-* headers and, when a
// second (24-hour) limit is given, the x-user-limit-24hour-* headers.
func xSetLimitHeaders(h http.Header, limits []xLimit) {
	names := []string{"x-rate-limit-", "x-user-limit-24hour-"}
	for i, l := range limits {
		if i >= len(names) || l.max < 0 {
			continue
		}
		h.Set(names[i]+"limit", strconv.Itoa(l.max))
		h.Set(names[i]+"remaining", strconv.Itoa(l.remaining))
		h.Set(names[i]+"reset", strconv.FormatInt(xUnixCeil(l.reset), 10))
	}
}

func xUnixCeil(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// tooMany is the 429 answer, v2 or v1.1 style, with the limits' headers.
func (x *X) tooMany(limits []xLimit, v11 bool) reply {
	var rep reply
	switch {
	case v11:
		rep = xV11Error(http.StatusTooManyRequests, 88, "Rate limit exceeded")
	case x.opts.LegacyRateLimitBody:
		rep = xV11Error(http.StatusTooManyRequests, 88, "Rate limit exceeded")
	default:
		rep = xProblem(http.StatusTooManyRequests, "Too Many Requests", "about:blank", "Too Many Requests")
	}
	xSetLimitHeaders(rep.header, limits)
	return rep
}

// faultTooMany is an injected 429: the window looks exhausted until
// FaultReset from now.
func (x *X) faultTooMany(v11 bool) reply {
	reset := x.opts.Now().Add(x.opts.FaultReset)
	max := x.opts.PostLimit
	if max < 0 {
		max = 100
	}
	return x.tooMany([]xLimit{{max: max, remaining: 0, reset: reset}}, v11)
}

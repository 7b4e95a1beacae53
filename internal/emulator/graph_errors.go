package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// graphErr is a Graph API error answer:
// {"error":{"message","type","code","error_subcode","is_transient","fbtrace_id",...}}.
type graphErr struct {
	status    int
	message   string
	typ       string
	code      int
	subcode   int
	transient bool
	userTitle string
	userMsg   string
	// throttled errors report full usage and regain in the usage headers.
	throttled bool
	regain    time.Duration
}

func (e *graphErr) Error() string { return fmt.Sprintf("graph error %d: %s", e.code, e.message) }

const notExistTail = " does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"

func errUnknownPost(id string) error {
	return errNoObject("get", id)
}

// errNoObject is the answer for an id that is unknown or deleted.
func errNoObject(verb, id string) *graphErr {
	return &graphErr{status: http.StatusBadRequest, typ: "GraphMethodException", code: 100, subcode: 33,
		message: fmt.Sprintf("Unsupported %s request. Object with ID '%s'%s", verb, id, notExistTail)}
}

func errParam(msg string) *graphErr {
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: 100, message: "(#100) " + msg}
}

// errDeprecatedField is Graph's answer to a field removed in an earlier
// version: code 12, as in "(#12) link field is deprecated for versions v3.3
// and higher".
func errDeprecatedField(field, since string) *graphErr {
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: 12,
		message: fmt.Sprintf("(#12) %s field is deprecated for versions %s and higher", field, since)}
}

func errBadForm() *graphErr { return errParam("Invalid request body") }

func errUnknownPath(path string) *graphErr {
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: 2500,
		message: "Unknown path components: " + path}
}

func errNoToken() *graphErr {
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: 104,
		message: "An access token is required to request this resource."}
}

func errMeNeedsUser() *graphErr {
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: 2500,
		message: "An active access token must be used to query information about the current user."}
}

func errBadToken() *graphErr {
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: 190,
		message: "Invalid OAuth access token - Cannot parse access token"}
}

// errExpired is code 190, subcode 463, worded as Graph words it (in Pacific time).
func errExpired(expired, now time.Time) *graphErr {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		loc = time.FixedZone("PDT", -7*3600)
	}
	const layout = "Monday, 02-Jan-06 15:04:05 MST"
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: 190, subcode: 463,
		message: fmt.Sprintf("Error validating access token: Session has expired on %s. The current time is %s.",
			expired.In(loc).Format(layout), now.In(loc).Format(layout))}
}

func errProof(missing bool) *graphErr {
	msg := "Invalid appsecret_proof provided in the API argument"
	if missing {
		msg = "API calls from the server require an appsecret_proof argument"
	}
	return &graphErr{status: http.StatusBadRequest, typ: "GraphMethodException", code: 100, message: msg}
}

func errPublishPermission() *graphErr {
	return &graphErr{status: http.StatusForbidden, typ: "OAuthException", code: 200,
		message: "(#200) If posting to a group, requires app being installed in the group, and either " +
			"publish_to_groups permission with user token, or both pages_read_engagement and " +
			"pages_manage_posts permission with page token; If posting to a page, requires both " +
			"pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission"}
}

func errDeletePermission() *graphErr {
	return &graphErr{status: http.StatusForbidden, typ: "OAuthException", code: 200,
		message: "(#200) Permissions error"}
}

func errReadPermission() *graphErr {
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: 10,
		message: "(#10) This endpoint requires the 'pages_read_engagement' permission or the " +
			"'Page Public Content Access' feature. Refer to " +
			"https://developers.facebook.com/docs/apps/review/login-permissions#manage-pages and " +
			"https://developers.facebook.com/docs/apps/review/feature#reference-PAGES_ACCESS for details."}
}

func errDuplicate() *graphErr {
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: 506,
		message: "(#506) Duplicate status message"}
}

func errScrape() *graphErr {
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: 1609005,
		message:   "Error Posting Link: There was a problem scraping data from provided link.",
		userTitle: "Error Posting Link", userMsg: "There was a problem scraping data from provided link."}
}

// errServer is Graph's own transient failure: code 1 (unknown) or 2 (service).
func errServer(code int) *graphErr {
	msg := "An unknown error has occurred."
	if code == 2 {
		msg = "An unexpected error has occurred. Please retry your request later."
	}
	return &graphErr{status: http.StatusInternalServerError, typ: "OAuthException", code: code, message: msg, transient: true}
}

// errThrottle is the answer of a page, app or API over its rate limit.
func errThrottle(code int, regain time.Duration) *graphErr {
	msgs := map[int]string{
		4:   "(#4) Application request limit reached",
		17:  "(#17) User request limit reached",
		32:  "(#32) Page request limit reached",
		613: "(#613) Calls to this api have exceeded the rate limit.",
		80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again. " +
			"For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
	}
	msg, ok := msgs[code]
	if !ok {
		msg = fmt.Sprintf("(#%d) Calls to this api have exceeded the rate limit.", code)
	}
	return &graphErr{status: http.StatusBadRequest, typ: "OAuthException", code: code, message: msg,
		transient: true, throttled: true, regain: regain}
}

// writeError writes a Graph error answer, with usage headers when the caller
// is known.
func (g *Graph) writeError(w http.ResponseWriter, rec *GraphRequest, a *graphAuth, e *graphErr) {
	rec.Code = e.code
	g.setUsageHeaders(w, a, e)
	trace := g.traceID()
	w.Header().Set("x-fb-trace-id", trace)
	if e.code == 190 || e.code == 104 {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`OAuth "Facebook Platform" "invalid_token" %q`, e.message))
	}
	body := map[string]any{
		"message":      e.message,
		"type":         e.typ,
		"code":         e.code,
		"is_transient": e.transient,
		"fbtrace_id":   trace,
	}
	if e.subcode != 0 {
		body["error_subcode"] = e.subcode
	}
	if e.userTitle != "" {
		body["error_user_title"] = e.userTitle
		body["error_user_msg"] = e.userMsg
	}
	writeGraphJSON(w, e.status, map[string]any{"error": body})
}

// writeOK writes a successful answer with usage headers.
func (g *Graph) writeOK(w http.ResponseWriter, a *graphAuth, body any) {
	g.setUsageHeaders(w, a, nil)
	w.Header().Set("x-fb-trace-id", g.traceID())
	writeGraphJSON(w, http.StatusOK, body)
}

func writeGraphJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"message":"An unknown error has occurred.","type":"OAuthException","code":1,"is_transient":true}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeProxyError answers 503 as a load balancer or proxy in front of the
// API would: an HTML page, or (every other time) an empty body.
func (g *Graph) writeProxyError(w http.ResponseWriter) {
	g.mu.Lock()
	g.proxyErrs++
	empty := g.proxyErrs%2 == 0
	g.mu.Unlock()
	w.Header().Set("Retry-After", "1")
	if empty {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte("<!DOCTYPE html><html><head><title>Service Unavailable</title></head>" +
		"<body><h1>Sorry, something went wrong.</h1><p>We're working on it and we'll get it fixed as soon as we can.</p></body></html>"))
}

const traceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (g *Graph) traceID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := make([]byte, 11)
	for i := range b {
		b[i] = traceAlphabet[g.rng.IntN(len(traceAlphabet))]
	}
	return string(b)
}

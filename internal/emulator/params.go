package emulator

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Every emulation checks what it receives against the network's published
// definitions. Where the network refuses a request that departs from them
// (X: an undeclared query parameter or body property; Graph: a deprecated or
// nonexistent field) the emulation refuses it the same way; where the
// network ignores it (an unknown Mastodon or Graph parameter, an extra XRPC
// property) the emulation serves it. Either way the departure is recorded,
// and Violations lists them, so tests can require none.
//
// The parameter tables: X's from its OpenAPI document (x_spec.go, checked
// against testdata/x-api-v2); Mastodon's from docs.joinmastodon.org
// (methods/statuses, methods/accounts, methods/instance); Graph's from the
// Page Feed, Post and Debug Token references and Graph's common parameters;
// Bluesky's from the com.atproto and app.bsky lexicons.

// violationLog is a bounded, concurrency-safe list of departures.
type violationLog struct {
	mu   sync.Mutex
	list []string
}

const maxViolations = 1000

func (v *violationLog) add(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.list) < maxViolations {
		v.list = append(v.list, fmt.Sprintf(format, args...))
	}
}

func (v *violationLog) snapshot() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.list)
}

// undocumented returns the names in got that documented does not hold,
// sorted.
func undocumented(documented []string, got []string) []string {
	var out []string
	for _, k := range got {
		if !slices.Contains(documented, k) && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// bodyKeys returns the top-level property names of a JSON object body, or
// the field names of a form body.
func bodyKeys(r *http.Request, body []byte) []string {
	if len(body) == 0 {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			return nil
		}
		return keysOf(m)
	case "application/x-www-form-urlencoded":
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil
		}
		return keysOf(v)
	}
	return nil
}

// mastodonParams are the documented parameters of the Mastodon methods the
// emulation serves: query parameters and body properties together.
func mastodonParams(route string) []string {
	switch route {
	case "POST /api/v1/statuses":
		return []string{"status", "media_ids", "media_ids[]", "poll", "in_reply_to_id", "sensitive",
			"spoiler_text", "visibility", "language", "scheduled_at", "quoted_status_id", "quote_approval_policy"}
	case "DELETE /api/v1/statuses/{id}":
		return []string{"delete_media"}
	case "POST /api/v1/apps":
		return []string{"client_name", "redirect_uris", "redirect_uris[]", "scopes", "website"}
	case "POST /oauth/token":
		return []string{"grant_type", "code", "client_id", "client_secret", "redirect_uri", "scope", "code_verifier"}
	case "POST /oauth/revoke":
		return []string{"client_id", "client_secret", "token"}
	case "GET /api/v1/accounts/{id}/statuses":
		return []string{"max_id", "since_id", "min_id", "limit", "only_media", "exclude_replies",
			"exclude_reblogs", "pinned", "tagged"}
	}
	return nil // GET a status, verify_credentials, instance: none
}

// blueskyParams are the lexicon parameters (query) and input properties
// (body) of the XRPC methods the emulation serves.
func blueskyParams(nsid string) []string {
	switch nsid {
	case "com.atproto.server.createSession":
		return []string{"identifier", "password", "authFactorToken", "allowTakendown"}
	case "com.atproto.repo.createRecord":
		return []string{"repo", "collection", "rkey", "validate", "record", "swapCommit"}
	case "com.atproto.repo.deleteRecord":
		return []string{"repo", "collection", "rkey", "swapRecord", "swapCommit"}
	case "app.bsky.feed.getPosts":
		return []string{"uris"}
	case "app.bsky.feed.getAuthorFeed":
		return []string{"actor", "limit", "cursor", "filter", "includePins"}
	case "com.atproto.identity.resolveHandle":
		return []string{"handle"}
	}
	return nil // refreshSession, getSession; uploadBlob's body is the blob
}

// graphCommonParams are the parameters every Graph request may carry.
var graphCommonParams = []string{"access_token", "appsecret_proof", "appsecret_time", "method", "format",
	"pretty", "suppress_http_code", "date_format", "locale", "debug", "transport"}

// graphParams are the documented parameters of a Graph route (segs: the path
// without the version), the common ones aside.
func graphParams(method string, segs []string) []string {
	switch {
	case len(segs) == 2 && segs[1] == "feed" && method == http.MethodPost:
		return []string{"message", "link", "published", "scheduled_publish_time"}
	case len(segs) == 0 && method == http.MethodGet:
		return []string{"ids", "fields"}
	case len(segs) == 2 && segs[0] == "dialog" && segs[1] == "oauth":
		return []string{"client_id", "redirect_uri", "state", "scope", "response_type", "auth_type", "config_id"}
	case len(segs) == 2 && segs[0] == "oauth" && segs[1] == "access_token":
		return []string{"client_id", "client_secret", "redirect_uri", "code", "grant_type", "fb_exchange_token"}
	case len(segs) == 2 && segs[0] == "me" && segs[1] == "accounts":
		return []string{"fields", "limit", "after", "before"}
	case len(segs) == 1 && segs[0] == "debug_token":
		return []string{"input_token"}
	case len(segs) == 1 && method == http.MethodGet:
		return []string{"fields"}
	case len(segs) == 2 && (segs[1] == "posts" || segs[1] == "feed") && method == http.MethodGet:
		return []string{"fields", "since", "until", "limit", "after", "before"}
	}
	return nil
}

// graphCheckParams records the parameters of a Graph request its reference
// does not document (Graph ignores them).
func (g *Graph) graphCheckParams(r *http.Request, rec *GraphRequest) {
	segs := strings.FieldsFunc(rec.Path, func(c rune) bool { return c == '/' })
	documented := append(graphParams(rec.Method, segs), graphCommonParams...)
	if bad := undocumented(documented, keysOf(r.Form)); len(bad) > 0 {
		g.viol.add("graph %s %s: undocumented parameters %v", rec.Method, rec.Path, bad)
	}
}

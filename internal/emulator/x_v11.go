package emulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// xNoV11 is X's answer to v1.1 calls on current access levels.
const xNoV11 = "You currently have access to a subset of X API V2 endpoints and limited v1.1 " +
	"endpoints (e.g. media post, oauth) only. If you need access to this endpoint, you may " +
	"need a different access level. You can learn more here: https://developer.x.com/en/portal/product"

// v11Gate authenticates a v1.1 call (OAuth 1.0a only) and checks the user's
// access level; it returns the answer to give instead, or nil.
func (x *X) v11Gate(r *http.Request, c *xCall) *reply {
	if rep := x.authenticate(r, c, true); rep != nil {
		return rep
	}
	if !c.user.V11Access {
		rep := xV11Error(http.StatusForbidden, 453, xNoV11)
		return &rep
	}
	return nil
}

// v11ReadGate is v11Gate for a read, which it then counts against the
// user's allowance on endpoint; it returns the answer to give instead, or nil.
func (x *X) v11ReadGate(r *http.Request, c *xCall, endpoint string) (*reply, []xLimit) {
	if rep := x.v11Gate(r, c); rep != nil {
		return rep, nil
	}
	return x.countRead(c, endpoint, true)
}

// v11Update serves POST /1.1/statuses/update.json.
func (x *X) v11Update(r *http.Request, c *xCall) reply {
	if rep := x.v11Gate(r, c); rep != nil {
		return *rep
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("status") == "" {
		return xV11Error(http.StatusForbidden, 170, "Missing required parameter: status.")
	}
	replyTo := r.PostForm.Get("in_reply_to_status_id")
	if replyTo != "" && !x.replyable(replyTo) {
		// v1.1 drops a reply to a post it cannot see and posts the status alone.
		replyTo = ""
	}
	p, limits, res := x.record(c.user, r.PostForm.Get("status"), replyTo, "v1.1")
	var rep reply
	switch res {
	case xLimited:
		return x.tooMany(limits, true)
	case xTooLong:
		rep = xV11Error(http.StatusForbidden, 186, "Tweet needs to be a bit shorter.")
	case xDuplicate:
		rep = xV11Error(http.StatusForbidden, 187, "Status is a duplicate.")
	default:
		x.mu.Lock()
		rep = reply{status: http.StatusOK, header: http.Header{}, body: x.statusJSON(p)}
		x.mu.Unlock()
	}
	xSetLimitHeaders(rep.header, limits)
	return rep
}

// v11Lookup serves GET /1.1/statuses/lookup.json: missing ids are left out.
func (x *X) v11Lookup(r *http.Request, c *xCall) reply {
	rep, limits := x.v11ReadGate(r, c, "statuses/lookup")
	if rep != nil {
		return *rep
	}
	ids := strings.Split(r.URL.Query().Get("id"), ",")
	if len(ids) > 100 {
		return xV11Error(http.StatusForbidden, 18, "Too many terms specified in query.")
	}
	out := []any{}
	x.mu.Lock()
	for _, id := range ids {
		if p := x.livePost(id); p != nil {
			out = append(out, x.statusJSON(p))
		}
	}
	x.mu.Unlock()
	return xOK(out, limits)
}

// v11Destroy serves POST /1.1/statuses/destroy/:id.json.
func (x *X) v11Destroy(r *http.Request, c *xCall) reply {
	if rep := x.v11Gate(r, c); rep != nil {
		return *rep
	}
	id, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	if !ok {
		return xV11Error(http.StatusNotFound, 34, "Sorry, that page does not exist.")
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.livePost(id)
	switch {
	case p == nil:
		return xV11Error(http.StatusNotFound, 144, "No status found with that ID.")
	case p.UserID != c.user.ID:
		return xV11Error(http.StatusForbidden, 183, "You may not delete another user's status.")
	}
	x.markDeleted(p)
	return reply{status: http.StatusOK, header: http.Header{}, body: x.statusJSON(p)}
}

// v11Timeline serves GET /1.1/statuses/user_timeline.json (user_id, count,
// since_id, max_id), newest first.
func (x *X) v11Timeline(r *http.Request, c *xCall) reply {
	rep, limits := x.v11ReadGate(r, c, "statuses/user_timeline")
	if rep != nil {
		return *rep
	}
	q := r.URL.Query()
	uid := q.Get("user_id")
	if uid == "" {
		uid = c.user.ID
	}
	count := 20
	if n, err := strconv.Atoi(q.Get("count")); err == nil && n > 0 {
		count = min(n, 200)
	}
	sinceID, _ := strconv.ParseUint(q.Get("since_id"), 10, 64)
	maxID, _ := strconv.ParseUint(q.Get("max_id"), 10, 64)
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.users[uid] == nil {
		return xV11Error(http.StatusNotFound, 34, "Sorry, that page does not exist.")
	}
	out := []any{}
	for _, p := range slices.Backward(x.posts) {
		id, _ := strconv.ParseUint(p.ID, 10, 64)
		if p.UserID != uid || p.Deleted || id <= sinceID || (maxID != 0 && id > maxID) {
			continue
		}
		if len(out) == count {
			break
		}
		out = append(out, x.statusJSON(p))
	}
	return xOK(out, limits)
}

// v11Verify serves GET /1.1/account/verify_credentials.json.
func (x *X) v11Verify(r *http.Request, c *xCall) reply {
	rep, limits := x.v11ReadGate(r, c, "account/verify_credentials")
	if rep != nil {
		return *rep
	}
	return xOK(xUserJSON(c.user), limits)
}

// statusJSON is a v1.1 Tweet object. Caller holds mu.
func (x *X) statusJSON(p *xPost) map[string]any {
	id, _ := strconv.ParseInt(p.ID, 10, 64)
	urls := []any{}
	for _, e := range p.entities {
		urls = append(urls, map[string]any{
			"url": e.URL, "expanded_url": e.ExpandedURL, "display_url": e.DisplayURL,
			"indices": []int{e.Start, e.End},
		})
	}
	m := x.metrics(p)
	out := map[string]any{
		"created_at":     p.CreatedAt.UTC().Format(time.RubyDate),
		"id":             id,
		"id_str":         p.ID,
		"text":           p.display,
		"truncated":      false,
		"entities":       map[string]any{"hashtags": []any{}, "user_mentions": []any{}, "symbols": []any{}, "urls": urls},
		"retweet_count":  m.Retweets,
		"favorite_count": m.Likes,
		"quote_count":    m.Quotes,
		"reply_count":    m.Replies,
		"lang":           "en",
	}
	if u := x.users[p.UserID]; u != nil {
		out["user"] = xUserJSON(u)
	}
	return out
}

func xUserJSON(u *xUser) map[string]any {
	id, _ := strconv.ParseInt(u.ID, 10, 64)
	return map[string]any{"id": id, "id_str": u.ID, "name": u.Name, "screen_name": u.Username}
}

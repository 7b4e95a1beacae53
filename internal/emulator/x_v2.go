package emulator

import (
	"encoding/json"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// xPostResult is what recording a post came to.
type xPostResult int

const (
	xPosted xPostResult = iota
	xLimited
	xTooLong
	xDuplicate
)

// write serves a write request (v1.1 or v2) with serve, under the fault
// decided for it: a FaultDrop serves it, then drops the connection.
func (x *X) write(v11 bool, serve func(*http.Request, *xCall) reply) func(*http.Request, *xCall) reply {
	return func(r *http.Request, c *xCall) reply {
		if rep := x.writeFault(r, c, v11); rep != nil {
			return *rep
		}
		rep := serve(r, c)
		rep.drop = c.fault == FaultDrop
		return rep
	}
}

// writeFault applies the fault decided for a write request and returns the
// answer to give instead of serving it, or nil to serve it.
func (x *X) writeFault(r *http.Request, c *xCall, v11 bool) *reply {
	f, delay := x.faults.Decide()
	c.fault = f
	if !faultDelay(r, delay) {
		return &reply{drop: true}
	}
	switch f {
	case FaultServerError:
		if v11 {
			// As a front-end proxy answers: no body at all.
			return &reply{status: http.StatusServiceUnavailable, header: http.Header{}}
		}
		rep := xProblem(http.StatusServiceUnavailable, "Service Unavailable", "about:blank", "Service Unavailable")
		return &rep
	case FaultRateLimit:
		rep := x.faultTooMany(v11)
		return &rep
	}
	return nil
}

// record checks a new post (a reply when replyTo is not "") against the
// user's limits, the length limit and the duplicate rule, and records it.
func (x *X) record(u *xUser, text, replyTo, api string) (*xPost, []xLimit, xPostResult) {
	x.mu.Lock()
	defer x.mu.Unlock()
	limits, ok := x.take(x.postAllowances(u.ID)...)
	if !ok {
		return nil, limits, xLimited
	}
	if xWeightedLength(text) > xMaxWeightedLength {
		return nil, limits, xTooLong
	}
	if x.live[u.ID+"\x00"+text] > 0 {
		return nil, limits, xDuplicate
	}
	id := x.nextID()
	display, ents := xLinkify(text, id)
	p := &xPost{
		XPost:    XPost{ID: id, UserID: u.ID, Text: text, CreatedAt: x.opts.Now(), API: api, InReplyTo: replyTo},
		display:  display,
		entities: ents,
	}
	for _, e := range ents {
		p.URLs = append(p.URLs, e.ExpandedURL)
	}
	x.posts = append(x.posts, p)
	x.postIdx[id] = p
	x.live[u.ID+"\x00"+text]++
	return p, limits, xPosted
}

// replyable reports whether a post with this ID exists and is not deleted.
func (x *X) replyable(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	p, ok := x.postIdx[id]
	return ok && !p.Deleted
}

// createPost serves POST /2/tweets.
func (x *X) createPost(r *http.Request, c *xCall) reply {
	if rep := x.authenticate(r, c, false); rep != nil {
		return *rep
	}
	var body struct {
		Text  *string `json:"text"`
		Reply *struct {
			InReplyTo string `json:"in_reply_to_tweet_id"`
		} `json:"reply"`
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var fields map[string]json.RawMessage
	if err != nil || json.Unmarshal(b, &body) != nil || json.Unmarshal(b, &fields) != nil {
		return xProblem(http.StatusBadRequest, "Invalid Request", xProblemBase+"invalid-request",
			"One or more parameters to your request was invalid.")
	}
	if rep := xCheckCreateBody(fields); rep != nil {
		x.viol.add("x POST /2/tweets: %v", rep.body.(map[string]any)["errors"])
		return *rep
	}
	if body.Text == nil || *body.Text == "" {
		return xInvalid("text", "", "Post text is empty.")
	}
	replyTo := ""
	if body.Reply != nil {
		replyTo = body.Reply.InReplyTo
		if !x.replyable(replyTo) {
			return xProblem(http.StatusForbidden, "Forbidden", "about:blank",
				"You attempted to reply to a Tweet that is deleted or not visible to you.")
		}
	}
	p, limits, res := x.record(c.user, *body.Text, replyTo, "v2")
	var rep reply
	switch res {
	case xLimited:
		return x.tooMany(limits, false)
	case xTooLong:
		rep = xInvalid("text", *body.Text, "Your Tweet text is too long. For more information on how X determines text length see https://github.com/twitter/twitter-text.")
	case xDuplicate:
		rep = xProblem(http.StatusForbidden, "Forbidden", "about:blank", "You are not allowed to create a Tweet with duplicate content.")
	default:
		rep = reply{status: http.StatusCreated, header: http.Header{}, body: map[string]any{
			"data": map[string]any{"id": p.ID, "text": p.display, "edit_history_tweet_ids": []string{p.ID}},
		}}
	}
	xSetLimitHeaders(rep.header, limits)
	return rep
}

// readGate authenticates a read and counts it against the user's allowance on
// endpoint; it returns the answer to give instead, or nil.
func (x *X) readGate(r *http.Request, c *xCall, endpoint string, v11 bool) (*reply, []xLimit) {
	if rep := x.authenticate(r, c, v11); rep != nil {
		return rep, nil
	}
	return x.countRead(c, endpoint, v11)
}

// countRead counts a read of an authenticated user against the allowance on
// endpoint; it returns the answer to give instead, or nil.
func (x *X) countRead(c *xCall, endpoint string, v11 bool) (*reply, []xLimit) {
	x.mu.Lock()
	limits, ok := x.take(x.readAllowance(c.user.ID, endpoint))
	x.mu.Unlock()
	if !ok {
		rep := x.tooMany(limits, v11)
		return &rep, limits
	}
	return nil, limits
}

// deletePost serves DELETE /2/tweets/:id.
func (x *X) deletePost(r *http.Request, c *xCall) reply {
	rep, limits := x.readGate(r, c, "delete", false)
	if rep != nil {
		return *rep
	}
	id := r.PathValue("id")
	x.mu.Lock()
	p := x.livePost(id)
	var out reply
	switch {
	case p == nil:
		out = xProblem(http.StatusNotFound, "Not Found Error", xProblemBase+"resource-not-found",
			"Could not find tweet with id: ["+id+"].")
	case p.UserID != c.user.ID:
		out = xProblem(http.StatusForbidden, "Forbidden", "about:blank", "You are not authorized to delete this Tweet.")
	default:
		x.markDeleted(p)
		out = reply{status: http.StatusOK, header: http.Header{}, body: map[string]any{"data": map[string]any{"deleted": true}}}
	}
	x.mu.Unlock()
	xSetLimitHeaders(out.header, limits)
	return out
}

// usersMe serves GET /2/users/me.
func (x *X) usersMe(r *http.Request, c *xCall) reply {
	rep, limits := x.readGate(r, c, "users/me", false)
	if rep != nil {
		return *rep
	}
	return xOK(map[string]any{"data": map[string]any{
		"id": c.user.ID, "name": c.user.Name, "username": c.user.Username,
	}}, limits)
}

// lookupPosts serves GET /2/tweets?ids=...: unknown and deleted ids come back
// in "errors" with HTTP 200.
func (x *X) lookupPosts(r *http.Request, c *xCall) reply {
	rep, limits := x.readGate(r, c, "tweets", false)
	if rep != nil {
		return *rep
	}
	q := r.URL.Query()
	raw := q.Get("ids")
	ids := strings.Split(raw, ",")
	if raw == "" || len(ids) > 100 {
		return xInvalid("ids", raw, "The number of values in the `ids` query parameter list ["+
			strconv.Itoa(len(ids))+"] is not between 1 and 100")
	}
	for _, id := range ids {
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			return xInvalid("ids", id, "The `ids` query parameter value ["+id+"] is not valid")
		}
	}
	fields := xFields(q.Get("tweet.fields") + "," + q.Get("post.fields"))
	var data, errs []any
	x.mu.Lock()
	for _, id := range ids {
		if p := x.livePost(id); p != nil {
			data = append(data, x.postJSON(p, fields))
		} else {
			errs = append(errs, xNotFound("tweet", "ids", id))
		}
	}
	x.mu.Unlock()
	body := map[string]any{}
	if data != nil {
		body["data"] = data
	}
	if errs != nil {
		body["errors"] = errs
	}
	return xOK(body, limits)
}

// userPosts serves GET /2/users/:id/tweets, newest first, with max_results
// (5–100), start_time, end_time, since_id, until_id, pagination_token.
func (x *X) userPosts(r *http.Request, c *xCall) reply {
	rep, limits := x.readGate(r, c, "users/tweets", false)
	if rep != nil {
		return *rep
	}
	q := r.URL.Query()
	sel, bad := xParseTimelineQuery(q)
	if bad != nil {
		return *bad
	}
	uid := r.PathValue("id")
	fields := xFields(q.Get("tweet.fields") + "," + q.Get("post.fields"))
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.users[uid] == nil {
		return xOK(map[string]any{
			"errors": []any{xNotFound("user", "id", uid)},
		}, limits)
	}
	var data []any
	meta := map[string]any{}
	n := 0
	for _, p := range slices.Backward(x.posts) {
		if p.UserID != uid || p.Deleted || !sel.match(p) {
			continue
		}
		if n == sel.max {
			meta["next_token"] = xEncodeToken(data[n-1].(map[string]any)["id"].(string))
			break
		}
		data = append(data, x.postJSON(p, fields))
		n++
	}
	meta["result_count"] = n
	body := map[string]any{"meta": meta}
	if n > 0 {
		body["data"] = data
		meta["newest_id"] = data[0].(map[string]any)["id"]
		meta["oldest_id"] = data[n-1].(map[string]any)["id"]
	}
	return xOK(body, limits)
}

// xTimelineQuery selects posts of a timeline.
type xTimelineQuery struct {
	max              int
	start, end       time.Time
	sinceID, untilID uint64 // exclusive bounds; 0: none
}

func (s xTimelineQuery) match(p *xPost) bool {
	id, _ := strconv.ParseUint(p.ID, 10, 64)
	return (s.start.IsZero() || !p.CreatedAt.Before(s.start)) &&
		(s.end.IsZero() || p.CreatedAt.Before(s.end)) &&
		(s.sinceID == 0 || id > s.sinceID) &&
		(s.untilID == 0 || id < s.untilID)
}

func xParseTimelineQuery(q map[string][]string) (xTimelineQuery, *reply) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	s := xTimelineQuery{max: 10}
	if v := get("max_results"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 5 || n > 100 {
			rep := xInvalid("max_results", v, "The `max_results` query parameter value ["+v+"] is not between 5 and 100")
			return s, &rep
		}
		s.max = n
	}
	for _, t := range []struct {
		key string
		dst *time.Time
	}{{"start_time", &s.start}, {"end_time", &s.end}} {
		if v := get(t.key); v != "" {
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				rep := xInvalid(t.key, v, "Invalid '"+t.key+"':'"+v+"'. '"+t.key+"' must be a valid RFC3339 date-time")
				return s, &rep
			}
			*t.dst = tm
		}
	}
	for _, t := range []struct {
		key string
		dst *uint64
	}{{"since_id", &s.sinceID}, {"until_id", &s.untilID}} {
		if v := get(t.key); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				rep := xInvalid(t.key, v, "The `"+t.key+"` query parameter value ["+v+"] is not valid")
				return s, &rep
			}
			*t.dst = n
		}
	}
	if v := get("pagination_token"); v != "" {
		id, ok := xDecodeToken(v)
		if !ok {
			rep := xInvalid("pagination_token", v, "The `pagination_token` query parameter value ["+v+"] is not valid")
			return s, &rep
		}
		if s.untilID == 0 || id < s.untilID {
			s.untilID = id
		}
	}
	return s, nil
}

// Pagination tokens are opaque to clients; here they carry the last id seen.
func xEncodeToken(id string) string {
	n, _ := strconv.ParseUint(id, 10, 64)
	return "7140dibdnow9c7btw" + strconv.FormatUint(n, 36)
}

func xDecodeToken(tok string) (uint64, bool) {
	rest, ok := strings.CutPrefix(tok, "7140dibdnow9c7btw")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 36, 64)
	return n, err == nil
}

func xFields(s string) map[string]bool {
	out := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		if f != "" {
			out[f] = true
		}
	}
	return out
}

// postJSON is a v2 Post object with the requested fields. Caller holds mu.
func (x *X) postJSON(p *xPost, fields map[string]bool) map[string]any {
	out := map[string]any{"id": p.ID, "text": p.display, "edit_history_tweet_ids": []string{p.ID}}
	if fields["created_at"] {
		out["created_at"] = p.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if fields["author_id"] {
		out["author_id"] = p.UserID
	}
	if fields["entities"] && len(p.entities) > 0 {
		var urls []any
		for _, e := range p.entities {
			urls = append(urls, map[string]any{
				"start": e.Start, "end": e.End, "url": e.URL,
				"expanded_url": e.ExpandedURL, "display_url": e.DisplayURL,
			})
		}
		out["entities"] = map[string]any{"urls": urls}
	}
	if fields["public_metrics"] {
		m := x.metrics(p)
		out["public_metrics"] = map[string]any{
			"retweet_count": m.Retweets, "reply_count": m.Replies, "like_count": m.Likes,
			"quote_count": m.Quotes, "bookmark_count": m.Bookmarks, "impression_count": m.Impressions,
		}
	}
	return out
}

// metrics returns a post's counters: as set, simulated, or zero. Caller holds mu.
func (x *X) metrics(p *xPost) XMetrics {
	if p.metrics != nil {
		return *p.metrics
	}
	if !x.simulate {
		return XMetrics{}
	}
	minutes := x.opts.Now().Sub(p.CreatedAt).Minutes()
	if minutes <= 0 {
		return XMetrics{}
	}
	h := fnv.New32a()
	h.Write([]byte(p.ID))
	appeal := 0.5 + float64(h.Sum32()%1000)/666 // 0.5 .. 2.0: some stories do better
	imp := appeal * 60 * math.Pow(minutes, 0.8)
	return XMetrics{
		Impressions: int64(imp),
		Likes:       int64(imp * 0.02),
		Retweets:    int64(imp * 0.004),
		Replies:     int64(imp * 0.002),
		Quotes:      int64(imp * 0.001),
		Bookmarks:   int64(imp * 0.003),
	}
}

package emulator

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const postFieldsDefault = "created_time,message,id"

// handleCreatePost answers POST /{page-id}/feed, the one write request the
// faults apply to.
func (g *Graph) handleCreatePost(w http.ResponseWriter, r *http.Request, rec *GraphRequest, pageID string) {
	fault, delay := g.faults.Decide()
	rec.Fault = fault
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	switch fault {
	case FaultServerError:
		if g.opts.ServerErrorCode != 0 {
			g.writeError(w, rec, nil, errServer(g.opts.ServerErrorCode))
			return
		}
		g.writeProxyError(w)
		return
	case FaultRateLimit:
		var a *graphAuth
		g.mu.Lock()
		if p, ok := g.pages[pageID]; ok {
			a = &graphAuth{page: *p, appID: p.AppID}
			rec.PageID = p.ID
		}
		g.mu.Unlock()
		g.writeError(w, rec, a, errThrottle(g.opts.ThrottleCode, g.opts.RegainAccess))
		return
	}
	a, gerr := g.authenticate(r, rec)
	var id string
	if gerr == nil {
		id, gerr = g.createPost(r, rec, a, pageID)
	}
	if fault == FaultDrop {
		// Log first: once the connection drops the caller may look at the log.
		g.record(*rec)
		if sw, ok := w.(*statusWriter); ok {
			sw.logged = true
		}
		DropConnection(w) // the post (if any) exists; the caller never hears of it
		return
	}
	if gerr != nil {
		g.writeError(w, rec, a, gerr)
		return
	}
	g.writeOK(w, a, map[string]any{"id": id})
}

// createPost validates and records a post.
func (g *Graph) createPost(r *http.Request, rec *GraphRequest, a *graphAuth, pageID string) (string, *graphErr) {
	now := g.opts.Now()
	g.mu.Lock()
	_, known := g.pages[pageID]
	g.mu.Unlock()
	if !known {
		return "", errNoObject("post", pageID)
	}
	if a.app || a.page.ID != pageID || !a.hasScope("pages_manage_posts") || !a.hasScope("pages_read_engagement") {
		return "", errPublishPermission()
	}
	message, link := r.PostForm.Get("message"), r.PostForm.Get("link")
	if message == "" && link == "" {
		return "", errParam("Missing message or attachment")
	}
	if link != "" {
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", errParam("link URL is not properly formatted")
		}
		if g.opts.Unscrapable != nil && g.opts.Unscrapable(link) {
			return "", errScrape()
		}
	}
	published, scheduled, gerr := publishParams(r.PostForm, now)
	if gerr != nil {
		return "", gerr
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if last := g.lastLive(pageID); last != nil && last.Message == message && last.Link == link {
		return "", errDuplicate() // Graph refuses the same post twice in a row
	}
	g.seq++
	p := &graphPost{seq: g.seq, GraphPost: GraphPost{
		ID: pageID + "_" + strconv.FormatInt(g.seq, 10), PageID: pageID, Message: message, Link: link,
		Published: published, ScheduledAt: scheduled, Created: now,
		ProofSent: rec.ProofSent, ProofValid: rec.ProofValid,
	}}
	g.posts[p.ID] = p
	g.pagePosts[pageID] = append(g.pagePosts[pageID], p)
	return p.ID, nil
}

// publishParams reads published and scheduled_publish_time (a unix time or
// ISO 8601, 10 minutes to 30 days ahead, on an unpublished post).
func publishParams(form url.Values, now time.Time) (bool, time.Time, *graphErr) {
	published := true
	if v := form.Get("published"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, time.Time{}, errParam("Param published must be a boolean")
		}
		published = b
	}
	raw := form.Get("scheduled_publish_time")
	if raw == "" {
		return published, time.Time{}, nil
	}
	var at time.Time
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
		at = time.Unix(n, 0)
	} else if t, err := time.Parse(time.RFC3339, raw); err == nil {
		at = t
	} else {
		return false, time.Time{}, errParam("The specified scheduled publish time is invalid.")
	}
	if published {
		return false, time.Time{}, errParam("You cannot specify a scheduled publish time on a published post")
	}
	if at.Before(now.Add(10*time.Minute)) || at.After(now.Add(30*24*time.Hour)) {
		return false, time.Time{}, errParam("The specified scheduled publish time is invalid.")
	}
	return false, at, nil
}

// lastLive is the page's most recent post not deleted; g.mu is held.
func (g *Graph) lastLive(pageID string) *graphPost {
	ps := g.pagePosts[pageID]
	for i := len(ps) - 1; i >= 0; i-- {
		if !ps[i].Deleted {
			return ps[i]
		}
	}
	return nil
}

// visible reports whether a post shows on the page now.
func (p *graphPost) visible(now time.Time) bool {
	if p.Deleted {
		return false
	}
	if p.Published {
		return true
	}
	return !p.ScheduledAt.IsZero() && !now.Before(p.ScheduledAt)
}

// handleNode answers GET /{id} for a post or a page (and /me).
func (g *Graph) handleNode(w http.ResponseWriter, r *http.Request, rec *GraphRequest, a *graphAuth, id string) {
	g.mu.Lock()
	out, gerr := g.renderNode(a, id, r.Form.Get("fields"), r.Form.Get("date_format"))
	g.mu.Unlock()
	if gerr != nil {
		g.writeError(w, rec, a, gerr)
		return
	}
	g.writeOK(w, a, out)
}

// renderNode renders one post or page the caller may read; g.mu is held.
func (g *Graph) renderNode(a *graphAuth, id, rawFields, dateFormat string) (map[string]any, *graphErr) {
	if page, ok := g.pages[id]; ok {
		fs, gerr := fieldsParam(rawFields, "name,id")
		if gerr != nil {
			return nil, gerr
		}
		return g.renderPage(page, fs)
	}
	p, ok := g.posts[id]
	if !ok || p.Deleted {
		return nil, errNoObject("get", id)
	}
	if a.app || a.page.ID != p.PageID || !a.hasScope("pages_read_engagement") {
		return nil, errReadPermission()
	}
	fs, gerr := fieldsParam(rawFields, postFieldsDefault)
	if gerr != nil {
		return nil, gerr
	}
	return g.renderPost(p, fs, dateFormat)
}

// handleIDs answers GET /?ids=a,b&fields=...: every id or an error for the
// whole request, as Graph does when one of them does not exist.
func (g *Graph) handleIDs(w http.ResponseWriter, r *http.Request, rec *GraphRequest, a *graphAuth) {
	raw := r.Form.Get("ids")
	if raw == "" {
		g.writeError(w, rec, a, errNoObject("get", ""))
		return
	}
	ids := strings.Split(raw, ",")
	if len(ids) > 50 {
		g.writeError(w, rec, a, errParam(fmt.Sprintf("Too many IDs. Maximum: 50. Provided: %d.", len(ids))))
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var missing []string
	for _, id := range ids {
		p, isPost := g.posts[id]
		_, isPage := g.pages[id]
		if !isPage && (!isPost || p.Deleted) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		g.writeErrorLocked(w, rec, a, errParam("Some of the aliases you requested do not exist: "+strings.Join(missing, ",")))
		return
	}
	out := map[string]any{}
	for _, id := range ids {
		node, gerr := g.renderNode(a, id, r.Form.Get("fields"), r.Form.Get("date_format"))
		if gerr != nil {
			g.writeErrorLocked(w, rec, a, gerr)
			return
		}
		out[id] = node
	}
	g.writeOKLocked(w, a, out)
}

// writeErrorLocked and writeOKLocked release g.mu around the write, which
// takes it again for the usage headers.
func (g *Graph) writeErrorLocked(w http.ResponseWriter, rec *GraphRequest, a *graphAuth, e *graphErr) {
	g.mu.Unlock()
	defer g.mu.Lock()
	g.writeError(w, rec, a, e)
}

func (g *Graph) writeOKLocked(w http.ResponseWriter, a *graphAuth, body any) {
	g.mu.Unlock()
	defer g.mu.Lock()
	g.writeOK(w, a, body)
}

// handleList answers GET /{page-id}/posts (and /feed): visible posts, newest
// first, filtered by since/until, paged by limit and an after cursor.
func (g *Graph) handleList(w http.ResponseWriter, r *http.Request, rec *GraphRequest, a *graphAuth, pageID string) {
	q := r.Form
	since, gerr := timeParam(q.Get("since"))
	if gerr == nil {
		var until time.Time
		until, gerr = timeParam(q.Get("until"))
		if gerr == nil && until.IsZero() {
			until = time.Unix(1<<40, 0)
		}
		if gerr == nil {
			gerr = g.listPosts(w, r, rec, a, pageID, since, until)
		}
	}
	if gerr != nil {
		g.writeError(w, rec, a, gerr)
	}
}

func (g *Graph) listPosts(w http.ResponseWriter, r *http.Request, rec *GraphRequest, a *graphAuth, pageID string, since, until time.Time) *graphErr {
	limit := 25
	if v := r.Form.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errParam("Param limit must be a non-negative integer")
		}
		limit = min(n, 100)
	}
	after := int64(1 << 62)
	if c := r.Form.Get("after"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		n, perr := strconv.ParseInt(string(b), 10, 64)
		if err != nil || perr != nil {
			return errParam("Invalid cursor")
		}
		after = n
	}
	fs, gerr := fieldsParam(r.Form.Get("fields"), postFieldsDefault)
	if gerr != nil {
		return gerr
	}
	now := g.opts.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.pages[pageID]; !ok {
		return errNoObject("get", pageID)
	}
	if a.app || a.page.ID != pageID || !a.hasScope("pages_read_engagement") {
		return errReadPermission()
	}
	var data []any
	var last int64
	more := false
	ps := g.pagePosts[pageID]
	for i := len(ps) - 1; i >= 0; i-- {
		p := ps[i]
		if p.seq >= after || !p.visible(now) || p.Created.Before(since) || p.Created.After(until) {
			continue
		}
		if len(data) == limit {
			more = true
			break
		}
		node, gerr := g.renderPost(p, fs, r.Form.Get("date_format"))
		if gerr != nil {
			return gerr
		}
		data, last = append(data, node), p.seq
	}
	body := map[string]any{"data": append([]any{}, data...)}
	if len(data) > 0 {
		body["paging"] = pagingFor(r, data, last, more)
	}
	g.writeOKLocked(w, a, body)
	return nil
}

// pagingFor builds Graph's cursor paging object, with a next link when more
// posts remain.
func pagingFor(r *http.Request, data []any, last int64, more bool) map[string]any {
	first := data[0].(map[string]any)["id"]
	cur := map[string]any{
		"before": base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprint(first))),
		"after":  base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(last, 10))),
	}
	paging := map[string]any{"cursors": cur}
	if more {
		u := *r.URL
		q := u.Query()
		q.Set("after", cur["after"].(string))
		u.RawQuery = q.Encode()
		u.Scheme, u.Host = "http", r.Host
		paging["next"] = u.String()
	}
	return paging
}

// timeParam reads since/until: a unix time or an RFC 3339 time.
func timeParam(v string) (time.Time, *graphErr) {
	if v == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, errParam("Invalid time for since/until: " + v)
}

// handleDelete answers DELETE /{post-id} (or POST with method=delete).
func (g *Graph) handleDelete(w http.ResponseWriter, rec *GraphRequest, a *graphAuth, id string) {
	g.mu.Lock()
	p, ok := g.posts[id]
	var gerr *graphErr
	switch {
	case !ok || p.Deleted:
		gerr = errNoObject("delete", id)
	case a.app || a.page.ID != p.PageID || !a.hasScope("pages_manage_posts"):
		gerr = errDeletePermission()
	default:
		p.Deleted, p.DeletedAt = true, g.opts.Now()
	}
	g.mu.Unlock()
	if gerr != nil {
		g.writeError(w, rec, a, gerr)
		return
	}
	g.writeOK(w, a, map[string]any{"success": true})
}

// handleDebugToken answers GET /debug_token?input_token=, called with the
// app token (or the token itself).
func (g *Graph) handleDebugToken(w http.ResponseWriter, r *http.Request, rec *GraphRequest, a *graphAuth) {
	input := r.Form.Get("input_token")
	if input == "" {
		g.writeError(w, rec, a, errParam("The parameter input_token is required"))
		return
	}
	now := g.opts.Now()
	g.mu.Lock()
	var page *GraphPage
	if id, ok := g.tokens[input]; ok {
		page = g.pages[id]
	}
	var data map[string]any
	switch {
	case page != nil && (a.token == input || (a.app && a.appID == page.AppID)):
		data = debugData(page, now)
	case page != nil:
		g.mu.Unlock()
		g.writeError(w, rec, a, errParam("You must provide an app access token, or a user access token that is an owner or developer of the app"))
		return
	default:
		data = map[string]any{"is_valid": false, "scopes": []string{},
			"error": map[string]any{"code": 190, "message": "Invalid OAuth access token."}}
	}
	g.mu.Unlock()
	g.writeOK(w, a, map[string]any{"data": data})
}

// debugData is debug_token's data for a Page token; g.mu is held.
func debugData(p *GraphPage, now time.Time) map[string]any {
	dataAccess := p.DataAccessExpiresAt
	if dataAccess.IsZero() {
		dataAccess = now.Add(90 * 24 * time.Hour)
	}
	var expires int64
	if !p.ExpiresAt.IsZero() {
		expires = p.ExpiresAt.Unix()
	}
	granular := []map[string]any{}
	for _, s := range p.Scopes {
		granular = append(granular, map[string]any{"scope": s, "target_ids": []string{p.ID}})
	}
	data := map[string]any{
		"app_id": p.AppID, "type": "PAGE", "application": "Herald", "profile_id": p.ID,
		"data_access_expires_at": dataAccess.Unix(), "expires_at": expires,
		"is_valid": true, "issued_at": now.Add(-24 * time.Hour).Unix(),
		"scopes": slices.Clone(p.Scopes), "granular_scopes": granular, "user_id": "10000" + p.ID,
	}
	if expires != 0 && !now.Before(p.ExpiresAt) {
		data["is_valid"] = false
		data["error"] = map[string]any{"code": 190, "subcode": 463,
			"message": errExpired(p.ExpiresAt, now).message}
	}
	return data
}

package emulator

import (
	"encoding/json"
	"html"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rivo/uniseg"
)

// mastoURLRE finds the links Mastodon counts as 23 characters and links.
var mastoURLRE = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:!?)\]'"]`)

// mastoURLLength is what every link counts for, however long it is.
const mastoURLLength = 23

// MastodonLength counts a status as Mastodon's StatusLengthValidator does:
// grapheme clusters, with every http(s) link counted as 23.
func MastodonLength(text string) int { return mastodonLength(text, mastoURLLength) }

// mastodonLength counts with every link counted as urlLength, an instance's
// characters_reserved_per_url.
func mastodonLength(text string, urlLength int) int {
	return uniseg.GraphemeClusterCount(mastoURLRE.ReplaceAllString(text, strings.Repeat("x", urlLength)))
}

type mastoPostParams struct {
	Status      string `json:"status"`
	Visibility  string `json:"visibility"`
	Language    string `json:"language"`
	InReplyToID string `json:"in_reply_to_id"`
}

func readStatusParams(r *http.Request) (mastoPostParams, bool) {
	var p mastoPostParams
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		return p, json.NewDecoder(r.Body).Decode(&p) == nil
	}
	if r.ParseForm() != nil {
		return p, false
	}
	return mastoPostParams{Status: r.PostForm.Get("status"), Visibility: r.PostForm.Get("visibility"),
		Language: r.PostForm.Get("language"), InReplyToID: r.PostForm.Get("in_reply_to_id")}, true
}

// postStatus serves POST /api/v1/statuses. Caller holds mu.
func (m *Mastodon) postStatus(r *http.Request, c *mastoCall) reply {
	fault, delay := m.faults.Decide()
	c.fault = fault
	m.mu.Unlock()
	gone := !faultDelay(r, delay)
	m.mu.Lock()
	if gone {
		return reply{drop: true}
	}
	now := m.opts.Now()
	switch fault {
	case FaultServerError:
		// A proxy in front of the instance answers with its own HTML page.
		return reply{status: http.StatusServiceUnavailable, header: http.Header{"Content-Type": {"text/html"}},
			raw: "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"}
	case FaultRateLimit:
		rep := mastoError(http.StatusTooManyRequests, "Too many requests")
		rep.header.Set("X-RateLimit-Limit", strconv.Itoa(m.opts.StatusLimit))
		rep.header.Set("X-RateLimit-Remaining", "0")
		rep.header.Set("X-RateLimit-Reset", now.Add(m.opts.FaultReset).UTC().Format(time.RFC3339Nano))
		return rep
	}
	rep := m.createStatus(r, c, now)
	rep.drop = fault == FaultDrop
	return rep
}

// createStatus answers a post: the status made earlier with the same
// Idempotency-Key, or a new one. Caller holds mu.
func (m *Mastodon) createStatus(r *http.Request, c *mastoCall, now time.Time) reply {
	ik := c.acct.ID + "\x00" + c.key
	if prev, ok := m.idem[ik]; ok && c.key != "" && now.Sub(prev.at) < m.opts.IdempotencyTTL {
		rep := reply{status: http.StatusOK, header: http.Header{}, body: m.entity(m.byID[prev.statusID], false)}
		return rep
	}
	w := m.window(c.acct.ID, "statuses", m.opts.StatusWindow)
	if w.used >= m.opts.StatusLimit {
		rep := mastoError(http.StatusTooManyRequests, "Too many requests")
		m.limitHeaders(rep.header, w, m.opts.StatusLimit, m.opts.StatusWindow)
		return rep
	}
	p, ok := readStatusParams(r)
	switch {
	case !ok:
		return mastoError(http.StatusBadRequest, "Error while parsing the request body")
	case strings.TrimSpace(p.Status) == "":
		return mastoError(http.StatusUnprocessableEntity, "Validation failed: Text can't be blank")
	case mastodonLength(p.Status, m.opts.URLLength) > m.opts.MaxChars:
		return mastoError(http.StatusUnprocessableEntity,
			"Validation failed: Text character limit of "+strconv.Itoa(m.opts.MaxChars)+" exceeded")
	case p.Visibility != "" && !slices.Contains([]string{"public", "unlisted", "private", "direct"}, p.Visibility):
		return mastoError(http.StatusUnprocessableEntity, "Validation failed: Visibility is not included in the list")
	case p.InReplyToID != "" && (m.byID[p.InReplyToID] == nil || m.byID[p.InReplyToID].Deleted):
		return mastoError(http.StatusNotFound, "Record not found")
	}
	if p.Visibility == "" {
		p.Visibility = "public"
	}
	w.used++
	m.seq++
	id := strconv.FormatInt(110000000000000000+m.seq<<16, 10)
	s := &mastoStatus{MastodonStatus: MastodonStatus{
		ID: id, AccountID: c.acct.ID, Text: p.Status, Visibility: p.Visibility, Language: p.Language,
		IdempotencyKey: c.key, URL: "https://" + m.opts.Domain + "/@" + c.acct.Username + "/" + id,
		CardURL: mastoURLRE.FindString(p.Status), Created: now, InReplyToID: p.InReplyToID,
	}}
	m.statuses = append(m.statuses, s)
	m.byID[id] = s
	if c.key != "" {
		m.idem[ik] = mastoIdem{statusID: id, at: now}
	}
	rep := reply{status: http.StatusOK, header: http.Header{}, body: m.entity(s, false)}
	m.limitHeaders(rep.header, w, m.opts.StatusLimit, m.opts.StatusWindow)
	return rep
}

func (m *Mastodon) getStatus(r *http.Request, c *mastoCall) reply {
	s := m.byID[r.PathValue("id")]
	if s == nil || s.Deleted {
		return mastoError(http.StatusNotFound, "Record not found")
	}
	m.grow(s)
	return reply{status: http.StatusOK, header: http.Header{}, body: m.entity(s, false)}
}

func (m *Mastodon) deleteStatus(r *http.Request, c *mastoCall) reply {
	s := m.byID[r.PathValue("id")]
	if s == nil || s.Deleted || s.AccountID != c.acct.ID {
		return mastoError(http.StatusNotFound, "Record not found")
	}
	s.Deleted = true
	// The answer carries the source text, for "delete and redraft".
	return reply{status: http.StatusOK, header: http.Header{}, body: m.entity(s, true)}
}

func (m *Mastodon) verifyCredentials(r *http.Request, c *mastoCall) reply {
	a := m.accountEntity(&c.acct.MastodonAccount)
	a["source"] = map[string]any{"privacy": "public", "sensitive": false, "language": "", "note": ""}
	return reply{status: http.StatusOK, header: http.Header{}, body: a}
}

// instance answers GET /api/v2/instance (public, no token needed) with the
// part of Mastodon's Instance entity a client reads: the configured status
// limits among the rest of configuration.
func (m *Mastodon) instance(r *http.Request, c *mastoCall) reply {
	m.mu.Lock()
	users := len(m.accounts)
	m.mu.Unlock()
	return reply{status: http.StatusOK, header: http.Header{}, body: map[string]any{
		"domain": m.opts.Domain, "title": "Mastodon", "version": "4.3.0", "source_url": "https://github.com/mastodon/mastodon",
		"description": "An emulated Mastodon server.", "languages": []string{"en"},
		"usage": map[string]any{"users": map[string]any{"active_month": users}},
		"configuration": map[string]any{
			"urls":     map[string]any{"streaming": "wss://" + m.opts.Domain},
			"accounts": map[string]any{"max_featured_tags": 10, "max_pinned_statuses": 5},
			"statuses": map[string]any{"max_characters": m.opts.MaxChars, "max_media_attachments": 4,
				"characters_reserved_per_url": m.opts.URLLength},
			"media_attachments": map[string]any{"supported_mime_types": []string{"image/jpeg", "image/png", "image/gif", "image/webp"},
				"image_size_limit": 16777216, "image_matrix_limit": 33177600, "video_size_limit": 103809024,
				"video_frame_rate_limit": 120, "video_matrix_limit": 8294400},
			"polls": map[string]any{"max_options": 4, "max_characters_per_option": 50,
				"min_expiration": 300, "max_expiration": 2629746},
			"translation": map[string]any{"enabled": false},
		},
		"registrations": map[string]any{"enabled": false, "approval_required": false, "message": nil},
		"contact":       map[string]any{"email": "admin@" + m.opts.Domain},
		"rules":         []any{},
	}}
}

// accountStatuses lists an account's statuses newest first, paged with
// max_id / since_id / min_id and a Link header, limit 20 by default and 40 at most.
func (m *Mastodon) accountStatuses(r *http.Request, c *mastoCall) reply {
	owner := r.PathValue("id")
	if m.accountByID(owner) == nil {
		return mastoError(http.StatusNotFound, "Record not found")
	}
	q := r.URL.Query()
	limit := 20
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = min(n, 40)
	}
	maxID, sinceID := q.Get("max_id"), q.Get("since_id")
	if sinceID == "" {
		sinceID = q.Get("min_id")
	}
	var page []any
	var first, last string
	for _, s := range slices.Backward(m.statuses) {
		if len(page) == limit {
			break
		}
		if s.AccountID != owner || s.Deleted || (maxID != "" && !idLess(s.ID, maxID)) ||
			(sinceID != "" && !idLess(sinceID, s.ID)) {
			continue
		}
		if first == "" {
			first = s.ID
		}
		last = s.ID
		page = append(page, m.entity(s, false))
	}
	rep := reply{status: http.StatusOK, header: http.Header{}, body: page}
	if page == nil {
		rep.body = []any{}
	} else {
		base := "http://" + r.Host + r.URL.Path + "?limit=" + strconv.Itoa(limit)
		rep.header.Set("Link", "<"+base+"&max_id="+last+`>; rel="next", <`+base+"&min_id="+first+`>; rel="prev"`)
	}
	return rep
}

// idLess compares snowflake ids numerically.
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// grow adds simulated engagement. Caller holds mu.
func (m *Mastodon) grow(s *mastoStatus) {
	if !m.simulate || s.set {
		return
	}
	s.Engagement.Favourites += int64(m.rng.IntN(4))
	s.Engagement.Reblogs += int64(m.rng.IntN(2))
	s.Engagement.Replies += int64(m.rng.IntN(2))
}

func (m *Mastodon) accountByID(id string) *MastodonAccount {
	for _, a := range m.accounts {
		if a.ID == id {
			return &a.MastodonAccount
		}
	}
	return nil
}

func (m *Mastodon) accountEntity(a *MastodonAccount) map[string]any {
	return map[string]any{
		"id": a.ID, "username": a.Username, "acct": a.Username, "display_name": a.Username,
		"url": "https://" + m.opts.Domain + "/@" + a.Username, "locked": false, "bot": true,
	}
}

// entity is the Status entity; withSource adds "text", as DELETE answers.
// Caller holds mu.
func (m *Mastodon) entity(s *mastoStatus, withSource bool) map[string]any {
	acct := m.accountByID(s.AccountID)
	if acct == nil {
		acct = &MastodonAccount{ID: s.AccountID}
	}
	var lang any
	if s.Language != "" {
		lang = s.Language
	}
	var replyTo any
	if s.InReplyToID != "" {
		replyTo = s.InReplyToID
	}
	var card any
	if s.CardURL != "" {
		card = map[string]any{"url": s.CardURL, "title": "", "description": "", "type": "link"}
	}
	e := map[string]any{
		"id": s.ID, "created_at": s.Created.UTC().Format("2006-01-02T15:04:05.000Z"),
		"in_reply_to_id": replyTo, "sensitive": false, "spoiler_text": "", "visibility": s.Visibility,
		"language": lang, "uri": "https://" + m.opts.Domain + "/users/" + acct.Username + "/statuses/" + s.ID,
		"url": s.URL, "replies_count": s.Engagement.Replies, "reblogs_count": s.Engagement.Reblogs,
		"favourites_count": s.Engagement.Favourites, "content": mastoContent(s.Text), "reblog": nil,
		"account": m.accountEntity(acct), "media_attachments": []any{}, "mentions": []any{},
		"tags": []any{}, "emojis": []any{}, "card": card, "poll": nil,
	}
	if withSource {
		e["text"] = s.Text
	}
	return e
}

// mastoContent renders a status's text as Mastodon's HTML: one paragraph,
// line breaks as <br />, links as anchors whose shown text is shortened (so
// a link is only whole in the href).
func mastoContent(text string) string {
	var b strings.Builder
	b.WriteString("<p>")
	last := 0
	for _, loc := range mastoURLRE.FindAllStringIndex(text, -1) {
		b.WriteString(html.EscapeString(text[last:loc[0]]))
		link := text[loc[0]:loc[1]]
		u, err := url.Parse(link)
		if err != nil {
			b.WriteString(html.EscapeString(link))
			last = loc[1]
			continue
		}
		rest := strings.TrimPrefix(link, u.Scheme+"://")
		shown, hidden := rest, ""
		if len(rest) > 30 {
			shown, hidden = rest[:30], rest[30:]
		}
		b.WriteString(`<a href="` + html.EscapeString(link) + `" target="_blank" rel="nofollow noopener noreferrer" translate="no">`)
		b.WriteString(`<span class="invisible">` + html.EscapeString(u.Scheme+"://") + `</span>`)
		cls := ""
		if hidden != "" {
			cls = ` class="ellipsis"`
		}
		b.WriteString(`<span` + cls + `>` + html.EscapeString(shown) + `</span>`)
		b.WriteString(`<span class="invisible">` + html.EscapeString(hidden) + `</span></a>`)
		last = loc[1]
	}
	b.WriteString(html.EscapeString(text[last:]))
	b.WriteString("</p>")
	return strings.ReplaceAll(b.String(), "\n", "<br />")
}

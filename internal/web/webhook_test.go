package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
)

const testSecret = "whsec-test-0123456789"

// openStore opens a migrated SQLite store in t.TempDir with a feed source
// "mexico" and two accounts.
func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncSources(ctx, []herald.SourceSpec{{Name: "mexico", URL: "https://news.example/rss/mexico.xml"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncAccounts(ctx, []herald.Account{{ID: "x_main", Network: herald.Twitter}, {ID: "fb_page", Network: herald.Facebook}}); err != nil {
		t.Fatal(err)
	}
	return db
}

type fixture struct {
	store *sqlite.DB
	srv   *Server
	ts    *httptest.Server
	now   time.Time
	woken atomic.Int32
}

func newFixture(t *testing.T, mutate func(*Options)) *fixture {
	t.Helper()
	f := &fixture{store: openStore(t), now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	opts := Options{
		Addr:  "127.0.0.1:0",
		Store: f.store,
		Now:   func() time.Time { return f.now },
		Webhook: WebhookOptions{
			Secret:             testSecret,
			Accounts:           []string{"x_main", "fb_page"},
			Sections:           map[string][]string{"mexico": {"fb_page"}},
			BreakingCategories: []string{"Breaking News"},
			MaxAge:             48 * time.Hour,
			OnNew:              func() { f.woken.Add(1) },
		},
	}
	if mutate != nil {
		mutate(&opts)
	}
	f.srv = New(opts, nil)
	f.ts = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.ts.Close)
	return f
}

// post sends a signed webhook request; edit may change it before it is sent.
func (f *fixture) post(t *testing.T, body string, edit func(*http.Request)) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.ts.URL+"/hooks/articles", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(f.now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(testSecret, ts, []byte(body)))
	if edit != nil {
		edit(req)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

// resign signs the request's body again with secret at timestamp ts.
func resign(secret string, ts int64, body string) func(*http.Request) {
	return func(r *http.Request) {
		s := strconv.FormatInt(ts, 10)
		r.Header.Set(TimestampHeader, s)
		r.Header.Set(SignatureHeader, Sign(secret, s, []byte(body)))
	}
}

type answer struct {
	Articles []answerArticle `json:"articles"`
}

type answerArticle struct {
	ID      int64   `json:"id"`
	URL     string  `json:"url"`
	Section string  `json:"section"`
	New     bool    `json:"new"`
	Updated bool    `json:"updated"`
	Stale   bool    `json:"stale"`
	Jobs    []int64 `json:"jobs"`
	// EditSkipped: the article's fields were not applied (an older edit).
	EditSkipped string `json:"edit_skipped"`
}

func decodeAnswer(t *testing.T, m map[string]any) answer {
	t.Helper()
	raw, _ := json.Marshal(m)
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *fixture) countJobs(t *testing.T) int {
	t.Helper()
	counts, err := f.store.CountJobs(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

func TestWebhookAcceptsAndIsIdempotent(t *testing.T) {
	f := newFixture(t, nil)
	body := `{"url":"HTTPS://News.Example/mexico/story-1?utm_source=cms#top","title":"Mexico &amp; <b>the</b>   world",
		"summary":"<p>First</p>","categories":["Politics"],"image":"https://img.example/1.jpg","published_at":"2026-03-01T11:59:00Z"}`
	code, m := f.post(t, body, nil)
	if code != http.StatusAccepted {
		t.Fatalf("status %d %v, want 202", code, m)
	}
	a := decodeAnswer(t, m)
	if len(a.Articles) != 1 {
		t.Fatalf("answer %+v", a)
	}
	first := a.Articles[0]
	if first.ID == 0 || !first.New || len(first.Jobs) != 2 || first.URL != "https://news.example/mexico/story-1" || first.Section != WebhookSource {
		t.Fatalf("first answer %+v", first)
	}
	if f.woken.Load() != 1 {
		t.Errorf("OnNew called %d times, want 1", f.woken.Load())
	}
	art, err := f.store.GetArticle(context.Background(), first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if art.Title != "Mexico & the world" || art.Summary != "First" || art.Section != WebhookSource || art.ImageURL != "https://img.example/1.jpg" {
		t.Errorf("stored article %+v", art)
	}
	job, err := f.store.GetJob(context.Background(), first.Jobs[0])
	if err != nil {
		t.Fatal(err)
	}
	if job.State != herald.JobPending || job.Priority != herald.PriorityNormal {
		t.Errorf("job %+v", job)
	}

	// The same article again (even with another tracking parameter): same id, no job.
	again := strings.Replace(body, "utm_source=cms", "utm_source=cms2", 1)
	code, m = f.post(t, again, nil)
	if code != http.StatusAccepted {
		t.Fatalf("second status %d %v", code, m)
	}
	second := decodeAnswer(t, m).Articles[0]
	if second.ID != first.ID || second.New || len(second.Jobs) != 0 {
		t.Errorf("second answer %+v, want id %d, not new, no jobs", second, first.ID)
	}
	if n := f.countJobs(t); n != 2 {
		t.Errorf("%d jobs, want 2", n)
	}
	if f.woken.Load() != 1 {
		t.Errorf("OnNew called %d times after a repeat, want 1", f.woken.Load())
	}
}

func TestWebhookArrayPayload(t *testing.T) {
	f := newFixture(t, nil)
	body := `[
	  {"url":"https://news.example/a","title":"A","targets":["x_main"]},
	  {"url":"https://news.example/b","title":"B","section":"mexico","published_at":1772366000},
	  {"url":"https://news.example/c","title":"C","categories":["breaking news"]},
	  {"url":"https://news.example/d","title":"D","categories":["Breaking News"],"priority":"normal"},
	  {"url":"https://news.example/e","title":"E","targets":[]},
	  {"url":"https://news.example/f","title":"F","published_at":"2026-02-20T00:00:00Z"},
	  {"url":"https://news.example/a","title":"A (edited)"}
	]`
	code, m := f.post(t, body, nil)
	if code != http.StatusAccepted {
		t.Fatalf("status %d %v", code, m)
	}
	a := decodeAnswer(t, m).Articles
	if len(a) != 7 {
		t.Fatalf("%d articles, want 7", len(a))
	}
	ctx := context.Background()
	wantJobs := []int{1, 1, 2, 2, 0, 0, 0}
	for i, w := range wantJobs {
		if len(a[i].Jobs) != w {
			t.Errorf("article %d (%s): %d jobs, want %d", i, a[i].URL, len(a[i].Jobs), w)
		}
	}
	if a[0].ID != a[6].ID || a[6].New {
		t.Errorf("the same URL twice in one payload: %+v and %+v", a[0], a[6])
	}
	// Section naming a configured source: recorded under it, its targets.
	if a[1].Section != "mexico" {
		t.Errorf("section answer %q", a[1].Section)
	}
	if art, _ := f.store.GetArticle(ctx, a[1].ID); art.Section != "mexico" || !art.PublishedAt.Equal(time.Unix(1772366000, 0)) {
		t.Errorf("sectioned article %+v", art)
	}
	if j, _ := f.store.GetJob(ctx, a[1].Jobs[0]); j.Account != "fb_page" {
		t.Errorf("sectioned job goes to %q, want fb_page", j.Account)
	}
	if j, _ := f.store.GetJob(ctx, a[0].Jobs[0]); j.Account != "x_main" {
		t.Errorf("targeted job goes to %q, want x_main", j.Account)
	}
	for _, id := range a[2].Jobs {
		if j, _ := f.store.GetJob(ctx, id); j.Priority != herald.PriorityBreaking {
			t.Errorf("breaking category: job priority %d", j.Priority)
		}
	}
	for _, id := range a[3].Jobs {
		if j, _ := f.store.GetJob(ctx, id); j.Priority != herald.PriorityNormal {
			t.Errorf("priority normal overrides the category: job priority %d", j.Priority)
		}
	}
	if !a[5].Stale {
		t.Errorf("an article older than max_age is not stale: %+v", a[5])
	}
	if art, _ := f.store.GetArticle(ctx, a[5].ID); !art.Stale {
		t.Errorf("stored stale article %+v", art)
	}
}

func TestWebhookFieldErrors(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct{ name, body, field, msg string }{
		{"missing url", `[{"url":"https://news.example/1","title":"t"},{"title":"t"}]`, "[1].url", "required"},
		{"missing title", `{"url":"https://news.example/1"}`, "title", "required"},
		{"markup-only title", `{"url":"https://news.example/1","title":"<br/>"}`, "title", "empty"},
		{"invalid url", `{"url":"mailto:desk@news.example","title":"t"}`, "url", "http or https"},
		{"bad published_at", `[{"url":"https://news.example/1","title":"t","published_at":"01/03/2026"}]`, "[0].published_at", "RFC 3339"},
		{"bad updated_at", `[{"url":"https://news.example/1","title":"t","updated_at":"yesterday"}]`, "[0].updated_at", "RFC 3339"},
		{"updated_at ahead of the clock", `{"url":"https://news.example/1","title":"t","updated_at":"2026-03-01T12:06:00Z"}`, "updated_at", "in the future"},
		{"unknown target", `[{"url":"https://news.example/1","title":"t","targets":["x_main","x_other"]}]`, "[0].targets[1]", "unknown account"},
		{"unknown field", `{"url":"https://news.example/1","title":"t","target":["x_main"]}`, "target", "unknown field"},
		{"not JSON", `{"url":`, "", "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := f.post(t, tt.body, nil)
			if code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", code)
			}
			field, _ := m["field"].(string)
			msg, _ := m["error"].(string)
			if field != tt.field || !strings.Contains(msg, tt.msg) {
				t.Errorf("got %v, want field %q error containing %q", m, tt.field, tt.msg)
			}
		})
	}
	// Nothing of an invalid array is recorded, not even its valid items.
	if arts, _ := f.store.ListArticles(context.Background(), herald.ArticleFilter{}); len(arts) != 0 {
		t.Errorf("%d articles recorded from invalid payloads", len(arts))
	}
}

func TestWebhookAuthentication(t *testing.T) {
	f := newFixture(t, nil)
	body := `{"url":"https://news.example/auth","title":"t"}`
	ts := f.now.Unix()
	good := Sign(testSecret, strconv.FormatInt(ts, 10), []byte(body))
	set := func(k, v string) func(*http.Request) { return func(r *http.Request) { r.Header.Set(k, v) } }
	tests := []struct {
		name string
		edit func(*http.Request)
		msg  string
	}{
		{"missing signature", func(r *http.Request) { r.Header.Del(SignatureHeader) }, "invalid signature"},
		{"missing timestamp", func(r *http.Request) { r.Header.Del(TimestampHeader) }, "invalid signature"},
		{"malformed timestamp", set(TimestampHeader, "yesterday"), "invalid signature"},
		{"wrong secret", resign("not-the-secret", ts, body), "invalid signature"},
		{"truncated signature", set(SignatureHeader, good[:len(good)-8]), "invalid signature"},
		{"sha1 prefix", set(SignatureHeader, "sha1="+strings.TrimPrefix(good, "sha256=")), "invalid signature"},
		{"no prefix", set(SignatureHeader, strings.TrimPrefix(good, "sha256=")), "invalid signature"},
		{"signature of another body", resign(testSecret, ts, `{"url":"https://news.example/other","title":"t"}`), "invalid signature"},
		{"timestamp changed after signing", set(TimestampHeader, strconv.FormatInt(ts+1, 10)), "invalid signature"},
		{"replayed stale", resign(testSecret, ts-int64(MaxClockSkew/time.Second)-1, body), "stale timestamp"},
		{"future", resign(testSecret, ts+int64(MaxClockSkew/time.Second)+1, body), "stale timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := f.post(t, body, tt.edit)
			if code != http.StatusUnauthorized || m["error"] != tt.msg {
				t.Errorf("got %d %v, want 401 %q", code, m, tt.msg)
			}
		})
	}
	if arts, _ := f.store.ListArticles(context.Background(), herald.ArticleFilter{}); len(arts) != 0 {
		t.Errorf("%d articles recorded without a valid signature", len(arts))
	}
	// At the edge of the window it is still accepted.
	code, m := f.post(t, body, resign(testSecret, ts-int64(MaxClockSkew/time.Second), body))
	if code != http.StatusAccepted {
		t.Errorf("timestamp exactly 5 minutes old: %d %v", code, m)
	}
}

func TestWebhookStatusCodes(t *testing.T) {
	f := newFixture(t, nil)
	body := `{"url":"https://news.example/codes","title":"t"}`

	t.Run("415", func(t *testing.T) {
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
			code, m := f.post(t, body, func(r *http.Request) { r.Header.Set("Content-Type", ct) })
			if code != http.StatusUnsupportedMediaType || m["error"] == nil {
				t.Errorf("Content-Type %q: %d %v, want 415", ct, code, m)
			}
		}
		code, _ := f.post(t, body, func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") })
		if code != http.StatusAccepted {
			t.Errorf("application/json with charset: %d", code)
		}
	})
	t.Run("413", func(t *testing.T) {
		big := `{"url":"https://news.example/big","title":"t","summary":"` + strings.Repeat("x", maxWebhookBody) + `"}`
		code, m := f.post(t, big, nil)
		if code != http.StatusRequestEntityTooLarge || m["error"] == nil {
			t.Errorf("declared length: %d %v, want 413", code, m)
		}
		// Without a Content-Length (chunked), the cap still holds while reading.
		code, m = f.post(t, big, func(r *http.Request) {
			r.ContentLength = -1
			r.Body = io.NopCloser(io.MultiReader(strings.NewReader(big)))
		})
		if code != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked: %d %v, want 413", code, m)
		}
	})
	t.Run("405", func(t *testing.T) {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			req, _ := http.NewRequest(method, f.ts.URL+"/hooks/articles", nil)
			resp, err := f.ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "POST") {
				t.Errorf("%s: %d Allow=%q, want 405 allowing POST", method, resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
	})
	t.Run("503 without a secret", func(t *testing.T) {
		g := newFixture(t, func(o *Options) { o.Webhook.Secret = "" })
		code, m := g.post(t, body, nil)
		if code != http.StatusServiceUnavailable || !strings.Contains(m["error"].(string), "webhook_secret") {
			t.Errorf("%d %v, want 503 naming webhook_secret", code, m)
		}
	})
	t.Run("500 when the store fails", func(t *testing.T) {
		g := newFixture(t, nil)
		g.store.Close()
		code, m := g.post(t, `{"url":"https://news.example/closed","title":"t"}`, nil)
		if code != http.StatusInternalServerError || strings.Contains(m["error"].(string), "sql") {
			t.Errorf("%d %v, want 500 without driver detail", code, m)
		}
	})
}

func TestWebhookBodyIsSignedAsSent(t *testing.T) {
	// Whitespace and key order are part of what is signed: the server must
	// verify the raw bytes, not a re-encoding.
	f := newFixture(t, nil)
	body := "{\n  \"title\": \"t\",\n  \"url\": \"https://news.example/raw\"\n}\n"
	if code, m := f.post(t, body, nil); code != http.StatusAccepted {
		t.Fatalf("%d %v", code, m)
	}
	var buf bytes.Buffer
	_ = json.Compact(&buf, []byte(body))
	compact := buf.String()
	code, _ := f.post(t, compact, func(r *http.Request) {
		r.Header.Set(SignatureHeader, Sign(testSecret, strconv.FormatInt(f.now.Unix(), 10), []byte(body)))
	})
	if code != http.StatusUnauthorized {
		t.Errorf("a re-encoded body passed with the original's signature: %d", code)
	}
}

// TestWebhookOlderEditNotApplied: edits of one article arriving out of
// order (each a fresh signed request, so no replay) never put an older
// headline back: the answer says the older edit was not applied; an equal
// or later updated_at applies, and an edit without one applies as before.
func TestWebhookOlderEditNotApplied(t *testing.T) {
	f := newFixture(t, nil)
	const url = "https://news.example/mexico/edited"
	edit := func(title, updatedAt string) string {
		body := `{"url":"` + url + `","title":"` + title + `"`
		if updatedAt != "" {
			body += `,"updated_at":"` + updatedAt + `"`
		}
		return body + `}`
	}
	send := func(what, body string) answerArticle {
		t.Helper()
		f.now = f.now.Add(time.Second)
		code, m := f.post(t, body, nil)
		if code != http.StatusAccepted {
			t.Fatalf("%s: status %d %v, want 202", what, code, m)
		}
		return decodeAnswer(t, m).Articles[0]
	}
	stored := func(what, want string) {
		t.Helper()
		art, err := f.store.FindArticle(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		if art.Title != want {
			t.Errorf("%s: stored title %q, want %q", what, art.Title, want)
		}
	}

	newer := send("newer edit", edit("Newer headline", "2026-03-01T11:50:00Z"))
	if !newer.New || newer.EditSkipped != "" {
		t.Fatalf("newer edit answer %+v", newer)
	}
	older := send("older edit", edit("Older headline", "2026-03-01T11:40:00+00:00"))
	if older.ID != newer.ID || older.Updated || !strings.HasPrefix(older.EditSkipped, herald.SkipStaleEdit+": ") ||
		!strings.Contains(older.EditSkipped, "2026-03-01T11:50:00Z") {
		t.Errorf("older edit answer %+v, want not updated, edit_skipped naming the stored edit time", older)
	}
	stored("after the older edit", "Newer headline")

	// In one array too, whatever the order.
	code, m := f.post(t, `[`+edit("Later headline", "2026-03-01T11:55:00Z")+`,`+edit("Old again", "2026-03-01T11:45:00Z")+`]`, nil)
	if code != http.StatusAccepted {
		t.Fatalf("array: %d %v", code, m)
	}
	if a := decodeAnswer(t, m).Articles; !a[0].Updated || a[0].EditSkipped != "" || a[1].Updated || a[1].EditSkipped == "" {
		t.Errorf("array answer %+v, want the first applied and the second skipped", a)
	}
	stored("after the array", "Later headline")

	if same := send("same updated_at", edit("Corrected headline", "2026-03-01T11:55:00Z")); !same.Updated || same.EditSkipped != "" {
		t.Errorf("an edit with the stored updated_at: %+v, want applied", same)
	}
	stored("after an edit at the same time", "Corrected headline")
	if undated := send("no updated_at", edit("Undated headline", "")); !undated.Updated || undated.EditSkipped != "" {
		t.Errorf("an edit without updated_at: %+v, want applied as before", undated)
	}
	stored("after an edit without updated_at", "Undated headline")
	if late := send("older than the stored edit", edit("Stale headline", "2026-03-01T11:54:59Z")); late.EditSkipped == "" {
		t.Errorf("an edit older than the stored updated_at: %+v, want skipped", late)
	}
	stored("after another older edit", "Undated headline")
}

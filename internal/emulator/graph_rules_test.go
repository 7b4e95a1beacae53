package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/testkit"
)

func postForm(msg, link string) url.Values {
	v := url.Values{"message": {msg}}
	if link != "" {
		v.Set("link", link)
	}
	return v
}

func TestGraphPostRules(t *testing.T) {
	g, srv := startTestGraph(t, GraphOptions{Unscrapable: func(l string) bool { return strings.Contains(l, "broken") }})
	g.AddPage(GraphPage{ID: "2002", Name: "Other", AccessToken: "tok2002", Scopes: []string{"pages_read_engagement"}})
	feed := "/v25.0/" + testPage + "/feed"
	auth := bearer(testToken)

	first := call(t, srv, "POST", feed, postForm("Storm hits", "https://news.example/storm"), auth)
	id, _ := first.body["id"].(string)
	if first.status != 200 || !strings.HasPrefix(id, testPage+"_") {
		t.Fatalf("post: %d %+v", first.status, first.body)
	}
	for _, tc := range []struct {
		name   string
		path   string
		form   url.Values
		token  string
		status int
		code   int
	}{
		{"duplicate in a row", feed, postForm("Storm hits", "https://news.example/storm"), testToken, 400, 506},
		{"neither message nor link", feed, url.Values{}, testToken, 400, 100},
		{"malformed link", feed, postForm("x", "news.example/no-scheme"), testToken, 400, 100},
		{"unscrapable link", feed, postForm("x", "https://news.example/broken"), testToken, 400, 1609005},
		{"schedule on a published post", feed, url.Values{"message": {"s"}, "scheduled_publish_time": {strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)}}, testToken, 400, 100},
		{"schedule too soon", feed, url.Values{"message": {"s"}, "published": {"false"}, "scheduled_publish_time": {strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)}}, testToken, 400, 100},
		{"another page's token", feed, postForm("x", ""), "tok2002", 403, 200},
		{"token without pages_manage_posts", "/v25.0/2002/feed", postForm("x", ""), "tok2002", 403, 200},
		{"unknown page", "/v25.0/999/feed", postForm("x", ""), testToken, 400, 100},
	} {
		a := call(t, srv, "POST", tc.path, tc.form, bearer(tc.token))
		if a.status != tc.status || a.code() != tc.code {
			t.Errorf("%s: %d code %d, want %d code %d (%v)", tc.name, a.status, a.code(), tc.status, tc.code, a.errField("message"))
		}
	}
	// Not in a row: another post between two identical ones is accepted.
	call(t, srv, "POST", feed, postForm("Other story", ""), auth)
	again := call(t, srv, "POST", feed, postForm("Storm hits", "https://news.example/storm"), auth)
	if again.status != 200 {
		t.Errorf("same post after another one: %d %+v", again.status, again.body)
	}
	sched := call(t, srv, "POST", feed, url.Values{"message": {"Later"}, "published": {"false"},
		"scheduled_publish_time": {strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)}}, auth)
	if sched.status != 200 {
		t.Fatalf("scheduled post: %+v", sched.body)
	}
	list := call(t, srv, "GET", "/v25.0/"+testPage+"/posts", url.Values{"fields": {"id,message"}}, auth)
	data, _ := list.body["data"].([]any)
	if len(data) != 3 {
		t.Errorf("posts listed = %d, want 3 (the scheduled one is not live yet): %+v", len(data), data)
	}
	if n := len(g.PostsByPage(testPage)); n != 4 {
		t.Errorf("recorded %d posts, want 4", n)
	}
}

func TestGraphEngagementReads(t *testing.T) {
	g, srv, ids := graphWithStories(t)
	auth := bearer(testToken)
	if err := g.SetEngagement("1001_404", GraphEngagement{}); err == nil {
		t.Error("SetEngagement on an unknown post: no error")
	}
	fields := "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
	one := call(t, srv, "GET", "/v25.0/"+ids[0], url.Values{"fields": {fields}}, auth)
	if _, ok := one.body["shares"]; ok {
		t.Errorf("shares present with no shares: %+v", one.body)
	}
	if got := one.body["reactions"].(map[string]any)["summary"].(map[string]any)["total_count"]; got != float64(0) {
		t.Errorf("reactions total = %v", got)
	}
	batch := call(t, srv, "GET", "/v25.0/", url.Values{"ids": {strings.Join(ids, ",")}, "fields": {fields}}, auth)
	node := batch.body[ids[1]].(map[string]any)
	b, _ := json.Marshal(node)
	if !strings.Contains(string(b), `"shares":{"count":7}`) || !strings.Contains(string(b), `"total_count":12`) {
		t.Errorf("engaged post = %s", b)
	}

	del := call(t, srv, "DELETE", "/v25.0/"+ids[2], nil, auth)
	if del.body["success"] != true {
		t.Fatalf("delete: %+v", del.body)
	}
	viaOverride := call(t, srv, "POST", "/v25.0/"+ids[2], url.Values{"method": {"delete"}}, auth)
	if viaOverride.code() != 100 || viaOverride.errField("error_subcode") != float64(33) {
		t.Errorf("second delete: %+v", viaOverride.body)
	}
	gone := call(t, srv, "GET", "/v25.0/", url.Values{"ids": {strings.Join(ids, ",")}, "fields": {fields}}, auth)
	if gone.code() != 100 || gone.errField("message") != "(#100) Some of the aliases you requested do not exist: "+ids[2] {
		t.Errorf("batch with a deleted post: %+v", gone.body)
	}
	tooMany := strings.Repeat(ids[0]+",", 50) + ids[0]
	if a := call(t, srv, "GET", "/v25.0/", url.Values{"ids": {tooMany}}, auth); a.code() != 100 {
		t.Errorf("51 ids: %+v", a.body)
	}
	if a := call(t, srv, "GET", "/v25.0/"+ids[0], url.Values{"fields": {"nonsense"}}, auth); a.code() != 100 {
		t.Errorf("unknown field: %+v", a.body)
	}
}

func TestGraphRateLimit(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	_, srv := startTestGraph(t, GraphOptions{Now: clock.Now, PageCallLimit: 4, Window: time.Hour})
	var usage []int
	for range 4 {
		a := call(t, srv, "GET", "/v25.0/me", nil, bearer(testToken))
		if a.status != 200 {
			t.Fatalf("call under the limit: %+v", a.body)
		}
		var pu usageJSON
		if err := json.Unmarshal([]byte(a.header.Get("X-Page-Usage")), &pu); err != nil {
			t.Fatal(err)
		}
		usage = append(usage, pu.CallCount)
	}
	if got := strconv.Itoa(usage[0]) + "," + strconv.Itoa(usage[3]); got != "25,100" {
		t.Errorf("page usage went %v", usage)
	}
	clock.Advance(20 * time.Minute)
	over := call(t, srv, "GET", "/v25.0/me", nil, bearer(testToken))
	if over.code() != 80001 || over.errField("is_transient") != true || over.status != 400 {
		t.Fatalf("over the limit: %d %+v", over.status, over.body)
	}
	var buc map[string][]bucUsageJSON
	if err := json.Unmarshal([]byte(over.header.Get("X-Business-Use-Case-Usage")), &buc); err != nil {
		t.Fatal(err)
	}
	if e := buc[testPage]; len(e) != 1 || e[0].Type != "pages" || e[0].CallCount != 100 || e[0].EstimatedTimeToRegainAccess != 40 {
		t.Errorf("BUC usage = %+v, want call_count 100 and 40 minutes to regain", buc)
	}
	clock.Advance(41 * time.Minute)
	if a := call(t, srv, "GET", "/v25.0/me", nil, bearer(testToken)); a.status != 200 {
		t.Errorf("after the window: %+v", a.body)
	}
}

func TestGraphFaults(t *testing.T) {
	g, srv := startTestGraph(t, GraphOptions{RegainAccess: 5 * time.Minute})
	feed := srv.URL + "/v25.0/" + testPage + "/feed"
	g.faults.Next(FaultServerError, FaultServerError, FaultRateLimit, FaultDrop)
	send := func(msg string) (*http.Response, string, error) {
		req, _ := http.NewRequest("POST", feed, strings.NewReader(postForm(msg, "").Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b), nil
	}

	html, body, err := send("one")
	if err != nil || html.StatusCode != 503 || !strings.Contains(html.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "<html>") {
		t.Errorf("first proxy error: %v %v %q", err, html, body)
	}
	empty, body, err := send("two")
	if err != nil || empty.StatusCode != 503 || body != "" {
		t.Errorf("second proxy error: %v %v %q", err, empty, body)
	}
	throttled, body, err := send("three")
	if err != nil || throttled.StatusCode != 400 || !strings.Contains(body, `"code":613`) {
		t.Fatalf("throttle: %v %v %q", err, throttled, body)
	}
	var buc map[string][]bucUsageJSON
	if err := json.Unmarshal([]byte(throttled.Header.Get("X-Business-Use-Case-Usage")), &buc); err != nil {
		t.Fatal(err)
	}
	if e := buc[testPage]; len(e) != 1 || e[0].CallCount != 100 || e[0].EstimatedTimeToRegainAccess != 5 {
		t.Errorf("throttle usage = %+v", buc)
	}
	if _, _, err := send("four"); err == nil {
		t.Error("accept-then-drop: the client got an answer")
	}
	ps := g.Posts()
	if len(ps) != 1 || ps[0].Message != "four" {
		t.Errorf("posts = %+v, want only the dropped one", ps)
	}
	var faults []Fault
	for _, r := range g.Requests() {
		faults = append(faults, r.Fault)
	}
	want := []Fault{FaultServerError, FaultServerError, FaultRateLimit, FaultDrop}
	if !slices.Equal(faults, want) {
		t.Errorf("logged faults %v, want %v", faults, want)
	}
}

func TestGraphVersionsAndPaths(t *testing.T) {
	_, srv := startTestGraph(t, GraphOptions{})
	auth := bearer(testToken)
	for path, want := range map[string]string{"/v19.0/me": "v22.0", "/v25.0/me": "v25.0", "/v26.0/me": "v26.0", "/me": "v25.0"} {
		a := call(t, srv, "GET", path, nil, auth)
		if a.status != 200 || a.header.Get("facebook-api-version") != want || a.body["id"] != testPage || a.body["name"] != "The Daily" {
			t.Errorf("%s: %d version %q body %+v", path, a.status, a.header.Get("facebook-api-version"), a.body)
		}
	}
	if a := call(t, srv, "GET", "/v25.0/"+testPage+"/nonsense", nil, auth); a.code() != 2500 {
		t.Errorf("unknown edge: %+v", a.body)
	}
	if a := call(t, srv, "GET", "/v25.0/me", nil, bearer(testAppID+"|"+testSecret)); a.code() != 2500 {
		t.Errorf("/me with an app token: %+v", a.body)
	}
}

func TestGraphPostsPaging(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	_, srv := startTestGraph(t, GraphOptions{Now: clock.Now})
	auth := bearer(testToken)
	for i := range 30 {
		call(t, srv, "POST", "/v25.0/"+testPage+"/feed", postForm("Story "+strconv.Itoa(i), ""), auth)
		clock.Advance(time.Minute)
	}
	q := url.Values{"fields": {"id,message,created_time"}, "limit": {"25"}, "since": {strconv.FormatInt(clock.Now().Add(-40*time.Minute).Unix(), 10)}}
	first := call(t, srv, "GET", "/v25.0/"+testPage+"/posts", q, auth)
	data := first.body["data"].([]any)
	paging := first.body["paging"].(map[string]any)
	if len(data) != 25 || data[0].(map[string]any)["message"] != "Story 29" || paging["next"] == nil {
		t.Fatalf("first page: %d items, first %+v, paging %+v", len(data), data[0], paging)
	}
	if ct := data[0].(map[string]any)["created_time"]; ct != "2026-03-01T12:29:00+0000" {
		t.Errorf("created_time = %v", ct)
	}
	q.Set("after", paging["cursors"].(map[string]any)["after"].(string))
	second := call(t, srv, "GET", "/v25.0/"+testPage+"/posts", q, auth)
	if data := second.body["data"].([]any); len(data) != 5 || data[4].(map[string]any)["message"] != "Story 0" {
		t.Errorf("second page: %+v", second.body)
	}
	q = url.Values{"since": {strconv.FormatInt(clock.Now().Add(-5*time.Minute).Unix(), 10)}}
	recent := call(t, srv, "GET", "/v25.0/"+testPage+"/posts", q, auth)
	if data := recent.body["data"].([]any); len(data) != 5 {
		t.Errorf("since 5 minutes ago: %d posts", len(data))
	}
}

func TestGraphDebugToken(t *testing.T) {
	g, srv := startTestGraph(t, GraphOptions{})
	expires := time.Now().Add(3 * 24 * time.Hour).Truncate(time.Second)
	g.AddPage(GraphPage{ID: testPage, Name: "The Daily", AccessToken: testToken, AppID: testAppID, AppSecret: testSecret, ExpiresAt: expires})
	app := bearer(testAppID + "|" + testSecret)
	a := call(t, srv, "GET", "/v25.0/debug_token", url.Values{"input_token": {testToken}}, app)
	data, _ := a.body["data"].(map[string]any)
	if data["is_valid"] != true || data["expires_at"] != float64(expires.Unix()) || data["type"] != "PAGE" || data["profile_id"] != testPage {
		t.Errorf("debug_token: %+v", a.body)
	}
	if a := call(t, srv, "GET", "/v25.0/debug_token", url.Values{"input_token": {testToken}}, bearer(testAppID+"|wrong")); a.code() != 190 {
		t.Errorf("wrong app secret: %+v", a.body)
	}
	g.expirePage(testPage)
	a = call(t, srv, "GET", "/v25.0/debug_token", url.Values{"input_token": {testToken}}, app)
	data, _ = a.body["data"].(map[string]any)
	if data["is_valid"] != false || data["error"].(map[string]any)["code"] != float64(190) {
		t.Errorf("debug_token of an expired token: %+v", a.body)
	}
}

func TestGraphServerErrorCode(t *testing.T) {
	g, srv := startTestGraph(t, GraphOptions{ServerErrorCode: 2})
	g.faults.Next(FaultServerError)
	a := call(t, srv, "POST", "/v25.0/"+testPage+"/feed", postForm("x", ""), bearer(testToken))
	if a.status != 500 || a.code() != 2 || a.errField("is_transient") != true {
		t.Errorf("answer %d %+v", a.status, a.body)
	}
	if len(g.Posts()) != 0 {
		t.Error("a post was made")
	}
}

func TestGraphSimulatedEngagement(t *testing.T) {
	g, srv := startTestGraph(t, GraphOptions{Seed: 7})
	auth := bearer(testToken)
	id := call(t, srv, "POST", "/v25.0/"+testPage+"/feed", postForm("Grows", ""), auth).body["id"].(string)
	read := func() GraphEngagement {
		call(t, srv, "GET", "/v25.0/"+id, url.Values{"fields": {"shares,reactions.summary(true),comments.summary(true)"}}, auth)
		p, _ := g.Post(id)
		return p.Engagement
	}
	if e := read(); e != (GraphEngagement{}) {
		t.Fatalf("engagement grew while simulation was off: %+v", e)
	}
	g.SimulateEngagement(true)
	prev := read()
	for range 20 {
		e := read()
		if e.Shares < prev.Shares || e.Reactions < prev.Reactions || e.Comments < prev.Comments {
			t.Fatalf("engagement went down: %+v after %+v", e, prev)
		}
		prev = e
	}
	if prev.Reactions == 0 || prev.Shares == 0 {
		t.Errorf("after 21 reads engagement is still %+v", prev)
	}
}

// TestGraphDeprecatedFields: the Post reference lists link (with caption,
// description, name, object_id, source and type) as deprecated on Page
// posts since v3.3; Graph refuses them with code 12 and an unknown field
// with code 100, and gives the posted link through attachments.
func TestGraphDeprecatedFields(t *testing.T) {
	_, srv := startTestGraph(t, GraphOptions{})
	auth := bearer(testToken)
	posted := call(t, srv, "POST", "/v25.0/"+testPage+"/feed", postForm("Mercury", "https://news.example/a?b=c"), auth)
	id, _ := posted.body["id"].(string)
	for _, tc := range []struct {
		path, fields string
		code         int
	}{
		{"/v25.0/" + testPage + "/posts", "id,link,message,created_time", 12},
		{"/v25.0/" + testPage + "/posts", "id,type", 12},
		{"/v25.0/" + id, "link", 12},
		{"/v25.0/" + testPage + "/posts", "id,no_such_field", 100},
		{"/v25.0/" + testPage + "/posts", "id,attachments{no_such_field}", 100},
	} {
		a := call(t, srv, "GET", tc.path, url.Values{"fields": {tc.fields}}, auth)
		if a.status != 400 || a.code() != tc.code || a.errField("type") != "OAuthException" || a.errField("fbtrace_id") == nil {
			t.Errorf("%s fields=%s: %d %+v, want 400 code %d", tc.path, tc.fields, a.status, a.body, tc.code)
		}
		if msg, _ := a.errField("message").(string); !strings.HasPrefix(msg, "(#"+strconv.Itoa(tc.code)+") ") {
			t.Errorf("fields=%s: message %q", tc.fields, msg)
		}
	}
	list := call(t, srv, "GET", "/v25.0/"+testPage+"/posts",
		url.Values{"fields": {"id,created_time,attachments{unshimmed_url,url,target{url}}"}}, auth)
	data, _ := list.body["data"].([]any)
	if list.status != 200 || len(data) != 1 {
		t.Fatalf("list: %d %+v", list.status, list.body)
	}
	att := data[0].(map[string]any)["attachments"].(map[string]any)["data"].([]any)[0].(map[string]any)
	if att["unshimmed_url"] != "https://news.example/a?b=c" || !strings.HasPrefix(att["url"].(string), "https://l.facebook.com/l.php?u=") {
		t.Errorf("attachment = %+v", att)
	}
}

package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/testkit"
)

var (
	xAlice = XUser{ID: "1001", Username: "alice", ConsumerKey: "ck", ConsumerSecret: "cs",
		AccessToken: "1001-at", AccessTokenSecret: "as", ClientID: "client", ClientSecret: "secret",
		RefreshToken: "r1", V11Access: true}
	xBob = XUser{ID: "1002", Username: "bob", ConsumerKey: "ck", ConsumerSecret: "cs",
		AccessToken: "1002-at", AccessTokenSecret: "bs"}
)

func startXTest(t *testing.T, opts XOptions) (*X, string, *testkit.Clock) {
	t.Helper()
	clock := testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	opts.Users = append(opts.Users, xAlice, xBob)
	x, srv := StartX(opts)
	t.Cleanup(srv.Close)
	return x, srv.URL, clock
}

// xSigned returns a client signing with the real oauth1 library.
func xSigned(u XUser, consumerSecret string) *http.Client {
	c := oauth1.NewConfig(u.ConsumerKey, consumerSecret).
		Client(context.Background(), oauth1.NewToken(u.AccessToken, u.AccessTokenSecret))
	c.Timeout = 5 * time.Second
	return c
}

type xAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func xDo(t *testing.T, c *http.Client, method, u string, body any) xAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return xSend(t, c, req)
}

// xSend sends req with c and reads the answer, its body as JSON when it is.
func xSend(t *testing.T, c *http.Client, req *http.Request) xAnswer {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := xAnswer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &a.body)
	return a
}

func xPostText(t *testing.T, c *http.Client, base, text string) xAnswer {
	t.Helper()
	return xDo(t, c, "POST", base+"/2/tweets", map[string]string{"text": text})
}

func TestXSignatureVerified(t *testing.T) {
	x, base, _ := startXTest(t, XOptions{})
	a := xPostText(t, xSigned(xAlice, xAlice.ConsumerSecret), base, "Hello https://example.com/a?utm_source=x")
	if a.status != http.StatusCreated {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	data := a.body["data"].(map[string]any)
	if !strings.HasPrefix(data["text"].(string), "Hello https://t.co/") {
		t.Errorf("text %q: link not rewritten to t.co", data["text"])
	}
	if ids := data["edit_history_tweet_ids"].([]any); len(ids) != 1 || ids[0] != data["id"] {
		t.Errorf("edit_history_tweet_ids %v", ids)
	}
	posts := x.Posts()
	if len(posts) != 1 || posts[0].Text != "Hello https://example.com/a?utm_source=x" || posts[0].UserID != "1001" {
		t.Fatalf("posts %+v", posts)
	}
	reqs := x.Requests()
	if len(reqs) != 1 || !reqs[0].SignatureValid || reqs[0].Auth != "oauth1" || reqs[0].Route != "POST /2/tweets" {
		t.Errorf("request log %+v", reqs)
	}

	// A wrong consumer secret gives a signature that does not verify.
	a = xPostText(t, xSigned(xAlice, "wrong"), base, "Second")
	if a.status != http.StatusUnauthorized || a.body["title"] != "Unauthorized" || a.body["type"] != "about:blank" {
		t.Errorf("bad signature: %d %s", a.status, a.raw)
	}
	// Unknown token.
	stranger := xAlice
	stranger.AccessToken = "nobody"
	if a = xPostText(t, xSigned(stranger, "cs"), base, "Third"); a.status != http.StatusUnauthorized {
		t.Errorf("unknown token: %d", a.status)
	}
	// A request signed for another host (as go-twitter's URL would be when
	// rewritten inside the signing transport) does not verify.
	c := oauth1.NewConfig("ck", "cs").Client(context.Background(), oauth1.NewToken(xAlice.AccessToken, xAlice.AccessTokenSecret))
	c.Transport = xRewriteAfterSigning{next: c.Transport, to: base}
	if a = xDo(t, c, "GET", "https://api.twitter.com/2/users/me", nil); a.status != http.StatusUnauthorized {
		t.Errorf("signed for another host: %d", a.status)
	}
	if len(x.Posts()) != 1 {
		t.Errorf("rejected posts were recorded: %d", len(x.Posts()))
	}
	last := x.Requests()[len(x.Requests())-1]
	if last.SignatureValid || last.UserID != "" {
		t.Errorf("log of rejected request %+v", last)
	}
}

// xRewriteAfterSigning sends a signed request to another host: the wrong
// order of transports.
type xRewriteAfterSigning struct {
	next http.RoundTripper
	to   string
}

func (rt xRewriteAfterSigning) RoundTrip(r *http.Request) (*http.Response, error) {
	signer := rt.next.(*oauth1.Transport)
	base := signer.Base
	if base == nil {
		base = http.DefaultTransport
	}
	signer.Base = xHostRewrite{next: base, to: rt.to}
	return signer.RoundTrip(r)
}

type xHostRewrite struct {
	next http.RoundTripper
	to   string
}

func (rt xHostRewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	u, _ := url.Parse(rt.to)
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = u.Scheme, u.Host, u.Host
	return rt.next.RoundTrip(r2)
}

func TestXFormBodyIsSigned(t *testing.T) {
	x, base, _ := startXTest(t, XOptions{})
	c := xSigned(xAlice, "cs")
	send := func(c *http.Client, status string) xAnswer {
		form := url.Values{"status": {status}}
		req, _ := http.NewRequest("POST", base+"/1.1/statuses/update.json", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return xSend(t, c, req)
	}
	if a := send(c, "Signed body ✓"); a.status != http.StatusOK || a.body["user"].(map[string]any)["screen_name"] != "alice" {
		t.Fatalf("v1.1 update: %d %s", a.status, a.raw)
	}
	// The body is changed after signing: the signature no longer matches.
	c.Transport = xBodySwap{next: c.Transport}
	if a := send(c, "original"); a.status != http.StatusUnauthorized || !strings.Contains(a.raw, `"code":32`) {
		t.Fatalf("tampered body: %d %s", a.status, a.raw)
	}
	if n := len(x.Posts()); n != 1 {
		t.Errorf("posts %d, want 1", n)
	}
	// Bob has no v1.1 access: 403 code 453.
	if a := send(xSigned(xBob, "cs"), "hi"); a.status != http.StatusForbidden || !strings.Contains(a.raw, `"code":453`) {
		t.Errorf("no v1.1 access: %d %s", a.status, a.raw)
	}
}

type xBodySwap struct{ next http.RoundTripper }

func (rt xBodySwap) RoundTrip(r *http.Request) (*http.Response, error) {
	signer := rt.next.(*oauth1.Transport)
	signer.Base = xSwapBody{}
	return signer.RoundTrip(r)
}

type xSwapBody struct{}

func (xSwapBody) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	body := url.Values{"status": {"tampered"}}.Encode()
	r2.Body, r2.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
	return http.DefaultTransport.RoundTrip(r2)
}

func TestXLengthLimit(t *testing.T) {
	x, base, _ := startXTest(t, XOptions{})
	c := xSigned(xAlice, "cs")
	link := " https://example.com/" + strings.Repeat("long-path/", 20)
	for _, tt := range []struct {
		text   string
		status int
	}{
		{strings.Repeat("a", 280), http.StatusCreated},
		{strings.Repeat("b", 281), http.StatusBadRequest},
		{strings.Repeat("c", 256) + link, http.StatusCreated},
		{strings.Repeat("d", 257) + link, http.StatusBadRequest},
		{strings.Repeat("語", 140), http.StatusCreated},
		{strings.Repeat("字", 141), http.StatusBadRequest},
		// A domain in a headline is a link to X: 23, not 10.
		{strings.Repeat("e", 256) + " Amazon.com", http.StatusCreated},
		{strings.Repeat("f", 257) + " Amazon.com", http.StatusBadRequest},
	} {
		a := xPostText(t, c, base, tt.text)
		if a.status != tt.status {
			t.Errorf("len %d: status %d, want %d: %s", compose.WeightedLength(tt.text), a.status, tt.status, a.raw)
		}
		if a.status == http.StatusBadRequest && !strings.Contains(a.raw, "too long") {
			t.Errorf("too long answer %s", a.raw)
		}
	}
	if n := len(x.Posts()); n != 4 {
		t.Errorf("posts %d, want 4", n)
	}
}

func TestXDuplicate(t *testing.T) {
	x, base, _ := startXTest(t, XOptions{})
	alice, bob := xSigned(xAlice, "cs"), xSigned(xBob, "cs")
	first := xPostText(t, alice, base, "Same story https://example.com/1")
	if first.status != http.StatusCreated {
		t.Fatal(first.raw)
	}
	a := xPostText(t, alice, base, "Same story https://example.com/1")
	if a.status != http.StatusForbidden || a.body["detail"] != "You are not allowed to create a Tweet with duplicate content." {
		t.Errorf("duplicate: %d %s", a.status, a.raw)
	}
	if a = xPostText(t, bob, base, "Same story https://example.com/1"); a.status != http.StatusCreated {
		t.Errorf("same text by another user: %d", a.status)
	}
	id := first.body["data"].(map[string]any)["id"].(string)
	if a = xDo(t, alice, "DELETE", base+"/2/tweets/"+id, nil); a.status != http.StatusOK {
		t.Fatalf("delete: %d %s", a.status, a.raw)
	}
	if a = xDo(t, alice, "DELETE", base+"/2/tweets/"+id, nil); a.status != http.StatusNotFound {
		t.Errorf("delete again: %d", a.status)
	}
	if a = xPostText(t, alice, base, "Same story https://example.com/1"); a.status != http.StatusCreated {
		t.Errorf("repost after delete: %d %s", a.status, a.raw)
	}
	if p, _ := x.Post(id); !p.Deleted {
		t.Errorf("post %s not marked deleted", id)
	}
}

func TestXRateLimitHeaders(t *testing.T) {
	x, base, clock := startXTest(t, XOptions{PostLimit: 2, PostLimit24h: 3})
	c := xSigned(xAlice, "cs")
	reset := strconv.FormatInt(clock.Now().Add(15*time.Minute).Unix(), 10)
	for i, want := range []string{"1", "0"} {
		a := xPostText(t, c, base, "post "+strconv.Itoa(i))
		if a.status != http.StatusCreated {
			t.Fatal(a.raw)
		}
		h := a.header
		if h.Get("x-rate-limit-limit") != "2" || h.Get("x-rate-limit-remaining") != want || h.Get("x-rate-limit-reset") != reset {
			t.Errorf("post %d: headers %v", i, h)
		}
		if h.Get("x-user-limit-24hour-limit") != "3" || h.Get("x-user-limit-24hour-reset") == "" {
			t.Errorf("post %d: 24-hour headers %v", i, h)
		}
	}
	a := xPostText(t, c, base, "post 2")
	if a.status != http.StatusTooManyRequests || a.body["title"] != "Too Many Requests" ||
		a.header.Get("x-rate-limit-remaining") != "0" || a.header.Get("x-rate-limit-reset") != reset {
		t.Errorf("over the limit: %d %v %s", a.status, a.header, a.raw)
	}
	// Bob's allowance is his own.
	if a = xPostText(t, xSigned(xBob, "cs"), base, "bob"); a.status != http.StatusCreated {
		t.Errorf("other user limited: %d", a.status)
	}
	clock.Advance(15 * time.Minute)
	a = xPostText(t, c, base, "post 3")
	if a.status != http.StatusCreated || a.header.Get("x-user-limit-24hour-remaining") != "0" {
		t.Errorf("new window: %d %v", a.status, a.header)
	}
	// The 24-hour allowance is spent: 429 although the window has room.
	a = xPostText(t, c, base, "post 4")
	if a.status != http.StatusTooManyRequests || a.header.Get("x-user-limit-24hour-remaining") != "0" {
		t.Errorf("24-hour limit: %d %v", a.status, a.header)
	}
	if n := len(x.PostsByUser("1001")); n != 3 {
		t.Errorf("alice's posts %d, want 3", n)
	}
}

func TestXLegacyRateLimitBody(t *testing.T) {
	_, base, _ := startXTest(t, XOptions{PostLimit: 1, LegacyRateLimitBody: true})
	c := xSigned(xAlice, "cs")
	xPostText(t, c, base, "one")
	a := xPostText(t, c, base, "two")
	if a.status != http.StatusTooManyRequests || !strings.Contains(a.raw, `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`) {
		t.Errorf("legacy 429: %d %s", a.status, a.raw)
	}
}

func TestXFaults(t *testing.T) {
	x, base, clock := startXTest(t, XOptions{})
	c := xSigned(xAlice, "cs")
	x.faults.Next(FaultServerError, FaultRateLimit, FaultDrop)
	if a := xPostText(t, c, base, "a"); a.status != http.StatusServiceUnavailable || a.body["status"] != float64(503) {
		t.Errorf("5xx fault: %d %s", a.status, a.raw)
	}
	a := xPostText(t, c, base, "b")
	if a.status != http.StatusTooManyRequests || a.header.Get("x-rate-limit-reset") != strconv.FormatInt(clock.Now().Add(time.Second).Unix(), 10) {
		t.Errorf("429 fault: %d %v", a.status, a.header)
	}
	req, _ := http.NewRequest("POST", base+"/2/tweets", strings.NewReader(`{"text":"c"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped answer arrived: %d", resp.StatusCode)
	}
	posts := x.Posts()
	if len(posts) != 1 || posts[0].Text != "c" {
		t.Fatalf("accept-then-drop did not record the post: %+v", posts)
	}
	if a = xPostText(t, c, base, "d"); a.status != http.StatusCreated {
		t.Errorf("after faults: %d", a.status)
	}
	if got := x.Count("POST /2/tweets"); got != 4 {
		t.Errorf("count %d, want 4", got)
	}
}

func TestXOAuth2Rotation(t *testing.T) {
	x, base, clock := startXTest(t, XOptions{})
	refresh := func(rt string) xAnswer {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
		req, _ := http.NewRequest("POST", base+"/2/oauth2/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("client", "secret")
		return xSend(t, http.DefaultClient, req)
	}
	a := refresh("r1")
	if a.status != http.StatusOK || a.body["expires_in"] != float64(7200) || a.body["refresh_token"] == "r1" {
		t.Fatalf("refresh: %d %s", a.status, a.raw)
	}
	access, r2 := a.body["access_token"].(string), a.body["refresh_token"].(string)
	if x.RefreshToken("1001") != r2 {
		t.Errorf("current refresh token not rotated")
	}
	if a = refresh("r1"); a.status != http.StatusBadRequest || a.body["error"] != "invalid_request" {
		t.Errorf("reused refresh token: %d %s", a.status, a.raw)
	}
	bearer := &http.Client{Transport: xBearerRT{tok: access}}
	if a = xDo(t, bearer, "GET", base+"/2/users/me", nil); a.status != http.StatusOK || a.body["data"].(map[string]any)["username"] != "alice" {
		t.Fatalf("users/me with bearer: %d %s", a.status, a.raw)
	}
	clock.Advance(2 * time.Hour)
	if a = xDo(t, bearer, "GET", base+"/2/users/me", nil); a.status != http.StatusUnauthorized {
		t.Errorf("expired access token: %d", a.status)
	}
	x.expireUser("1001")
	if a = refresh(r2); a.status != http.StatusBadRequest {
		t.Errorf("refresh after revocation: %d", a.status)
	}
	if a = xPostText(t, xSigned(xAlice, "cs"), base, "revoked"); a.status != http.StatusUnauthorized {
		t.Errorf("oauth1 after revocation: %d", a.status)
	}
}

type xBearerRT struct{ tok string }

func (rt xBearerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+rt.tok)
	return http.DefaultTransport.RoundTrip(r2)
}

func TestXTimelineAndLookup(t *testing.T) {
	x, base, clock := startXTest(t, XOptions{})
	c := xSigned(xAlice, "cs")
	var ids []string
	for i := range 7 {
		clock.Advance(time.Minute)
		a := xPostText(t, c, base, "Story "+strconv.Itoa(i)+" https://example.com/"+strconv.Itoa(i))
		ids = append(ids, a.body["data"].(map[string]any)["id"].(string))
	}
	if a := xDo(t, c, "GET", base+"/2/users/1001/tweets?max_results=4", nil); a.status != http.StatusBadRequest {
		t.Errorf("max_results=4: %d", a.status)
	}
	start := clock.Now().Add(-5*time.Minute - time.Second).Format(time.RFC3339)
	u := base + "/2/users/1001/tweets?max_results=5&tweet.fields=created_at,entities&start_time=" + start
	a := xDo(t, c, "GET", u, nil)
	data := a.body["data"].([]any)
	meta := a.body["meta"].(map[string]any)
	if len(data) != 5 || meta["result_count"] != float64(5) || meta["newest_id"] != ids[6] || meta["next_token"] == nil {
		t.Fatalf("first page: %s", a.raw)
	}
	first := data[0].(map[string]any)
	ent := first["entities"].(map[string]any)["urls"].([]any)[0].(map[string]any)
	if ent["expanded_url"] != "https://example.com/6" || first["created_at"] == nil {
		t.Errorf("entities/created_at: %v", first)
	}
	a = xDo(t, c, "GET", u+"&pagination_token="+meta["next_token"].(string), nil)
	if data = a.body["data"].([]any); len(data) != 1 || data[0].(map[string]any)["id"] != ids[1] {
		t.Errorf("second page (start_time excludes ids[0]): %s", a.raw)
	}
	if a.body["meta"].(map[string]any)["next_token"] != nil {
		t.Errorf("last page has next_token")
	}
	a = xDo(t, c, "GET", base+"/2/users/1001/tweets?since_id="+ids[5], nil)
	if data = a.body["data"].([]any); len(data) != 1 {
		t.Errorf("since_id: %s", a.raw)
	}

	x.DeletePost(ids[2])
	x.SetMetrics(ids[3], XMetrics{Retweets: 4, Quotes: 1, Likes: 9, Replies: 2, Impressions: 400, Bookmarks: 3})
	a = xDo(t, c, "GET", base+"/2/tweets?ids="+ids[2]+","+ids[3]+",99&tweet.fields=public_metrics", nil)
	if a.status != http.StatusOK {
		t.Fatalf("lookup: %d %s", a.status, a.raw)
	}
	data = a.body["data"].([]any)
	pm := data[0].(map[string]any)["public_metrics"].(map[string]any)
	if len(data) != 1 || pm["retweet_count"] != float64(4) || pm["impression_count"] != float64(400) || pm["bookmark_count"] != float64(3) {
		t.Errorf("lookup data: %s", a.raw)
	}
	errs := a.body["errors"].([]any)
	if len(errs) != 2 || errs[0].(map[string]any)["resource_id"] != ids[2] ||
		errs[0].(map[string]any)["type"] != "https://api.x.com/2/problems/resource-not-found" {
		t.Errorf("lookup errors: %s", a.raw)
	}
	many := strings.TrimSuffix(strings.Repeat("1,", 101), ",")
	if a = xDo(t, c, "GET", base+"/2/tweets?ids="+many, nil); a.status != http.StatusBadRequest {
		t.Errorf("101 ids: %d", a.status)
	}
}

func TestXSimulatedEngagementGrows(t *testing.T) {
	x, base, clock := startXTest(t, XOptions{})
	c := xSigned(xAlice, "cs")
	id := xPostText(t, c, base, "Big story").body["data"].(map[string]any)["id"].(string)
	x.SimulateEngagement(true)
	read := func() float64 {
		a := xDo(t, c, "GET", base+"/2/tweets?ids="+id+"&tweet.fields=public_metrics", nil)
		return a.body["data"].([]any)[0].(map[string]any)["public_metrics"].(map[string]any)["impression_count"].(float64)
	}
	clock.Advance(10 * time.Minute)
	early := read()
	clock.Advance(50 * time.Minute)
	if late := read(); early <= 0 || late <= early {
		t.Errorf("impressions %v then %v: not growing", early, late)
	}
}

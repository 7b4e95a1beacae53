package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

const (
	testPage   = "1001"
	testToken  = "EAAPageToken1001"
	testAppID  = "77"
	testSecret = "app-secret"
)

func startTestGraph(t *testing.T, opts GraphOptions) (*Graph, *httptest.Server) {
	t.Helper()
	g, srv := StartGraph(opts)
	t.Cleanup(srv.Close)
	g.AddPage(GraphPage{ID: testPage, Name: "The Daily", AccessToken: testToken, AppID: testAppID, AppSecret: testSecret})
	return g, srv
}

type graphAnswer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a graphAnswer) code() int {
	e, _ := a.body["error"].(map[string]any)
	n, _ := e["code"].(float64)
	return int(n)
}

func (a graphAnswer) errField(k string) any {
	e, _ := a.body["error"].(map[string]any)
	return e[k]
}

// call sends one request; form goes in the body for POST, in the query otherwise.
func call(t *testing.T, srv *httptest.Server, method, path string, form url.Values, header http.Header) graphAnswer {
	t.Helper()
	u := srv.URL + path
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	} else if len(form) > 0 {
		u += "?" + form.Encode()
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := graphAnswer{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 && json.Unmarshal(raw, &a.body) != nil {
		t.Fatalf("%s %s: body is not JSON: %q", method, path, raw)
	}
	return a
}

// graphWithStories starts a Graph whose test page has three stories, the
// second with engagement (7 shares, 12 reactions, 3 comments), and returns
// their ids, oldest first.
func graphWithStories(t *testing.T) (*Graph, *httptest.Server, []string) {
	t.Helper()
	g, srv := startTestGraph(t, GraphOptions{})
	var ids []string
	for i := range 3 {
		a := call(t, srv, "POST", "/v25.0/"+testPage+"/feed", postForm("Story "+strconv.Itoa(i), ""), bearer(testToken))
		ids = append(ids, a.body["id"].(string))
	}
	if err := g.SetEngagement(ids[1], GraphEngagement{Shares: 7, Reactions: 12, Comments: 3}); err != nil {
		t.Fatal(err)
	}
	return g, srv, ids
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

func TestGraphTokenRejection(t *testing.T) {
	g, srv := startTestGraph(t, GraphOptions{})
	post := url.Values{"message": {"Hello"}, "link": {"https://news.example/a"}}

	noToken := call(t, srv, "POST", "/v25.0/"+testPage+"/feed", post, nil)
	if noToken.status != 400 || noToken.code() != 104 {
		t.Errorf("no token: status %d code %d, want 400/104", noToken.status, noToken.code())
	}
	bad := call(t, srv, "POST", "/v25.0/"+testPage+"/feed", post, bearer("nope"))
	if bad.status != 400 || bad.code() != 190 || bad.errField("error_subcode") != nil {
		t.Errorf("bad token: %+v", bad)
	}
	if !strings.Contains(bad.header.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("bad token: WWW-Authenticate = %q", bad.header.Get("WWW-Authenticate"))
	}

	g.expirePage(testPage)
	exp := call(t, srv, "POST", "/v25.0/"+testPage+"/feed", post, bearer(testToken))
	if exp.status != 400 || exp.code() != 190 || exp.errField("error_subcode") != float64(463) {
		t.Fatalf("expired: %+v", exp)
	}
	msg, _ := exp.errField("message").(string)
	if !strings.HasPrefix(msg, "Error validating access token: Session has expired on ") {
		t.Errorf("expired message = %q", msg)
	}
	if exp.errField("type") != "OAuthException" || exp.errField("fbtrace_id") == "" || exp.errField("is_transient") != false {
		t.Errorf("expired error shape: %+v", exp.body)
	}
	if exp.header.Get("X-Business-Use-Case-Usage") == "" || exp.header.Get("X-App-Usage") == "" {
		t.Errorf("expired answer lacks usage headers: %v", exp.header)
	}
	if n := len(g.Posts()); n != 0 {
		t.Errorf("%d posts recorded from rejected calls", n)
	}
}

func TestGraphTokenPlaces(t *testing.T) {
	g, srv := startTestGraph(t, GraphOptions{})
	call(t, srv, "GET", "/v25.0/me", nil, bearer(testToken))
	call(t, srv, "GET", "/v25.0/me", nil, http.Header{"Authorization": {"OAuth " + testToken}})
	call(t, srv, "GET", "/v25.0/me", url.Values{"access_token": {testToken}}, nil)
	call(t, srv, "POST", "/v25.0/"+testPage+"/feed", url.Values{"message": {"x"}, "access_token": {testToken}}, nil)
	var via []string
	for _, r := range g.Requests() {
		if r.Status != 200 || r.PageID != testPage {
			t.Errorf("request %+v failed", r)
		}
		via = append(via, r.TokenVia)
	}
	if got, want := strings.Join(via, ","), "header,header,query,form"; got != want {
		t.Errorf("token places = %s, want %s", got, want)
	}
}

func TestGraphAppsecretProof(t *testing.T) {
	for _, tc := range []struct {
		name    string
		require bool
		proof   string
		code    int
		msg     string
	}{
		{"valid", false, appsecretProof(testSecret, testToken), 0, ""},
		{"valid and required", true, appsecretProof(testSecret, testToken), 0, ""},
		{"wrong", false, appsecretProof("other-secret", testToken), 100, "Invalid appsecret_proof provided in the API argument"},
		{"missing but required", true, "", 100, "API calls from the server require an appsecret_proof argument"},
		{"missing, not required", false, "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, srv := startTestGraph(t, GraphOptions{RequireAppsecretProof: tc.require})
			form := url.Values{"message": {"Hello"}}
			if tc.proof != "" {
				form.Set("appsecret_proof", tc.proof)
			}
			a := call(t, srv, "POST", "/v25.0/"+testPage+"/feed", form, bearer(testToken))
			if a.code() != tc.code {
				t.Fatalf("code %d, want %d: %+v", a.code(), tc.code, a.body)
			}
			if tc.code != 0 {
				if a.status != 400 || a.errField("message") != tc.msg || a.errField("type") != "GraphMethodException" {
					t.Errorf("answer %d %+v", a.status, a.body)
				}
				return
			}
			ps := g.Posts()
			if len(ps) != 1 || ps[0].ProofSent != (tc.proof != "") || ps[0].ProofValid != (tc.proof != "") {
				t.Errorf("posts = %+v", ps)
			}
		})
	}
}

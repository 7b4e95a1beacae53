package facebook

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	fb "github.com/huandu/facebook/v2"

	"github.com/heraldhq/herald/internal/herald"
)

var testNow = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

func testClient(t *testing.T) *Client {
	t.Helper()
	c, err := New(Config{PageID: "1", PageAccessToken: "EAAtoken", AppID: "42", AppSecret: "shh",
		Now: func() time.Time { return testNow }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClassifyGraphCodes(t *testing.T) {
	c := testClient(t)
	for _, tc := range []struct {
		fe     fb.Error
		status int
		kind   herald.ErrorKind
		wait   time.Duration // RetryAt - now, for rate limits
	}{
		{fb.Error{Code: 190, ErrorSubcode: 460}, 400, herald.ErrAuth, 0},
		{fb.Error{Code: 102}, 400, herald.ErrAuth, 0},
		{fb.Error{Code: 10}, 400, herald.ErrAuth, 0},
		{fb.Error{Code: 200}, 403, herald.ErrAuth, 0},
		{fb.Error{Code: 299}, 403, herald.ErrAuth, 0},
		{fb.Error{Code: 4, IsTransient: true}, 400, herald.ErrRateLimited, 15 * time.Minute},
		{fb.Error{Code: 17}, 400, herald.ErrRateLimited, 15 * time.Minute},
		{fb.Error{Code: 32}, 400, herald.ErrRateLimited, 15 * time.Minute},
		{fb.Error{Code: 613}, 400, herald.ErrRateLimited, 15 * time.Minute},
		{fb.Error{Code: 80001}, 400, herald.ErrRateLimited, 15 * time.Minute},
		{fb.Error{Code: 368}, 400, herald.ErrRateLimited, time.Hour},
		{fb.Error{Code: 506}, 400, herald.ErrDuplicate, 0},
		{fb.Error{Code: 1609005}, 400, herald.ErrRetryable, 0},
		{fb.Error{Code: 100, ErrorSubcode: 1609005}, 400, herald.ErrRetryable, 0},
		{fb.Error{Code: 1}, 500, herald.ErrRetryable, 0},
		{fb.Error{Code: 2}, 500, herald.ErrRetryable, 0},
		{fb.Error{Code: 12345, IsTransient: true}, 400, herald.ErrRetryable, 0},
		{fb.Error{Code: 12345}, 503, herald.ErrRetryable, 0},
		{fb.Error{Code: 100, Message: "(#100) Invalid parameter"}, 400, herald.ErrPermanent, 0},
		{fb.Error{Code: 100, Message: "Invalid appsecret_proof provided in the API argument"}, 400, herald.ErrAuth, 0},
	} {
		call := &callInfo{status: tc.status, header: http.Header{}}
		fe := tc.fe
		e := c.classify(herald.OpPublish, call, &fe)
		if e.Kind != tc.kind || e.Code != tc.fe.Code || e.Status != tc.status {
			t.Errorf("code %d/%d: %s (code %d, status %d), want %s", tc.fe.Code, tc.fe.ErrorSubcode, e.Kind, e.Code, e.Status, tc.kind)
		}
		if got := e.RetryAt.Sub(testNow); tc.wait != 0 && got != tc.wait {
			t.Errorf("code %d: waits %v, want %v", tc.fe.Code, got, tc.wait)
		}
	}
}

func TestRetryAt(t *testing.T) {
	h := func(buc string) http.Header {
		return http.Header{"X-Business-Use-Case-Usage": {buc}}
	}
	for _, tc := range []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"no header", http.Header{}, 15 * time.Minute},
		{"estimate", h(`{"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":23}]}`), 23 * time.Minute},
		{"largest estimate", h(`{"1":[{"type":"pages","call_count":40,"estimated_time_to_regain_access":5}],"2":[{"type":"pages","total_time":100,"estimated_time_to_regain_access":9}]}`), 9 * time.Minute},
		{"used up, no wait", h(`{"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":0}]}`), 0},
		{"not what throttles", h(`{"1":[{"type":"pages","call_count":12,"estimated_time_to_regain_access":0}]}`), 15 * time.Minute},
		{"garbage", h(`{not json`), 15 * time.Minute},
	} {
		if got := retryAt(tc.header, testNow, 15*time.Minute).Sub(testNow); got != tc.want {
			t.Errorf("%s: waits %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestStatusWithoutGraphBody(t *testing.T) {
	for _, tc := range []struct {
		op     string
		status int
		kind   herald.ErrorKind
	}{
		{herald.OpPublish, 503, herald.ErrRetryable},
		{herald.OpPublish, 500, herald.ErrRetryable},
		{herald.OpPublish, 429, herald.ErrRetryable},
		{herald.OpPublish, 502, herald.ErrUnknownOutcome},
		{herald.OpPublish, 504, herald.ErrUnknownOutcome},
		{herald.OpEngagement, 504, herald.ErrRetryable},
		{herald.OpPublish, 404, herald.ErrPermanent},
	} {
		if got := statusKind(tc.op, tc.status); got != tc.kind {
			t.Errorf("%s %d: %s, want %s", tc.op, tc.status, got, tc.kind)
		}
	}
}

// TestScrubsSecretsFromURLs: huandu only strips access_token from the URL of
// a failed request; debug_token's input_token, the app token and the proofs
// would still show.
func TestScrubsSecretsFromURLs(t *testing.T) {
	c := testClient(t)
	q := url.Values{"input_token": {"EAAtoken"}, "access_token": {"42|shh"}, "appsecret_proof": {c.page.AppsecretProof()}}
	uerr := &url.Error{Op: "Get", URL: "https://graph.facebook.com/v25.0/debug_token?" + q.Encode(), Err: errors.New("connection reset by peer")}
	err := c.classify(herald.OpCheck, &callInfo{}, fmt.Errorf("facebook: cannot reach facebook server; %w", uerr))
	all := fmt.Sprintf("%v|%+v|%v", err, *err, err.Err)
	for _, secret := range []string{"EAAtoken", "42|shh", url.QueryEscape("42|shh"), "shh", c.page.AppsecretProof(), c.app.AppsecretProof()} {
		if strings.Contains(all, secret) {
			t.Errorf("%q shows in %s", secret, all)
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		t.Error("the url.Error (and its URL) is still reachable with errors.As")
	}
	if err.Kind != herald.ErrRetryable || !strings.Contains(err.Message, "connection reset by peer") {
		t.Errorf("classified %+v", err)
	}
}

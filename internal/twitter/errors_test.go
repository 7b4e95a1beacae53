package twitter

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
)

func TestErrorClassesFromEmulation(t *testing.T) {
	ctx := context.Background()
	x, base := emulation(t, emulator.XOptions{})
	c := client(t, base, alice, Config{}, nil)
	post := func(text string) error {
		_, err := c.Publish(ctx, herald.Message{Text: text})
		return err
	}

	emulatortest.Faults(x).Next(emulator.FaultServerError)
	if he := kindOf(t, post("a"), herald.ErrRetryable); he.Status != 503 || he.Message != "Service Unavailable" {
		t.Errorf("5xx: %v", he)
	}

	emulatortest.Faults(x).Next(emulator.FaultRateLimit)
	he := kindOf(t, post("b"), herald.ErrRateLimited)
	if he.Status != 429 || he.RetryAt.Before(time.Now().Add(-time.Second)) || time.Until(he.RetryAt) > 3*time.Second {
		t.Errorf("429: %v, retry at %v", he, he.RetryAt)
	}

	emulatortest.Faults(x).Next(emulator.FaultDrop)
	kindOf(t, post("accepted, answer lost"), herald.ErrUnknownOutcome)
	if p := x.PostsByUser(alice.ID); len(p) != 1 || p[0].Text != "accepted, answer lost" {
		t.Fatalf("the dropped post was not made: %+v", p)
	}

	if err := post("same words https://example.com/d"); err != nil {
		t.Fatal(err)
	}
	he = kindOf(t, post("same words https://example.com/d"), herald.ErrDuplicate)
	if he.Status != 403 || he.Message != "You are not allowed to create a Tweet with duplicate content." {
		t.Errorf("duplicate: %v", he)
	}

	he = kindOf(t, post(strings.Repeat("ñ", 281)), herald.ErrPermanent)
	if he.Status != 400 || !strings.Contains(he.Message, "too long") {
		t.Errorf("too long: %v", he)
	}

	emulatortest.ExpireUser(x, alice.ID)
	if he = kindOf(t, post("after revocation"), herald.ErrAuth); he.Status != 401 {
		t.Errorf("revoked: %v", he)
	}
	_, err := c.Check(ctx)
	kindOf(t, err, herald.ErrAuth)
}

func TestRateLimitRetryAt(t *testing.T) {
	ctx := context.Background()
	x, base := emulation(t, emulator.XOptions{PostLimit: 1})
	c := client(t, base, alice, Config{}, nil)
	if _, err := c.Publish(ctx, herald.Message{Text: "one"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Publish(ctx, herald.Message{Text: "two"})
	he := kindOf(t, err, herald.ErrRateLimited)
	if d := time.Until(he.RetryAt); d < 14*time.Minute || d > 15*time.Minute+time.Second {
		t.Errorf("window reset in %v, want ~15m", d)
	}
	if n := len(x.Posts()); n != 1 {
		t.Errorf("posts %d", n)
	}

	// The 24-hour allowance outlasts the window: its reset is the one to wait for.
	_, base = emulation(t, emulator.XOptions{PostLimit: 10, PostLimit24h: 1, LegacyRateLimitBody: true})
	c = client(t, base, bob, Config{}, nil)
	if _, err := c.Publish(ctx, herald.Message{Text: "one"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Publish(ctx, herald.Message{Text: "two"})
	he = kindOf(t, err, herald.ErrRateLimited)
	if d := time.Until(he.RetryAt); d < 23*time.Hour || he.Code != 88 {
		t.Errorf("24-hour limit: retry in %v, code %d", d, he.Code)
	}
}

func TestTransportErrors(t *testing.T) {
	ctx := context.Background()
	// Nothing listens: the request never left, so it can be sent again.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	c := client(t, dead, alice, Config{}, nil)
	_, err = c.Publish(ctx, herald.Message{Text: "x"})
	kindOf(t, err, herald.ErrRetryable)

	// The post was written, then the answer never came within the timeout.
	x, base := emulation(t, emulator.XOptions{})
	emulatortest.Faults(x).Set(0, 0, 0, 2*time.Second, 1)
	c = client(t, base, alice, Config{HTTPTimeout: 150 * time.Millisecond}, nil)
	_, err = c.Publish(ctx, herald.Message{Text: "slow"})
	kindOf(t, err, herald.ErrUnknownOutcome)
	// A read that times out is simply retryable.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	c = client(t, hang.URL, alice, Config{HTTPTimeout: 150 * time.Millisecond}, nil)
	_, _, err = c.Engagement(ctx, []string{"1"})
	if he := kindOf(t, err, herald.ErrRetryable); he.Status != 0 || !strings.Contains(strings.ToLower(he.Message), "timeout") {
		t.Errorf("read timeout: %v", he)
	}
}

func TestClassifyCodes(t *testing.T) {
	for _, tt := range []struct {
		status int
		ae     apiError
		write  bool
		want   herald.ErrorKind
	}{
		{403, apiError{187, "Status is a duplicate."}, true, herald.ErrDuplicate},
		{403, apiError{186, "Tweet needs to be a bit shorter."}, true, herald.ErrPermanent},
		{429, apiError{88, "Rate limit exceeded"}, true, herald.ErrRateLimited},
		{403, apiError{185, "User is over daily status update limit."}, true, herald.ErrRateLimited},
		{403, apiError{453, "You currently have access to a subset"}, true, herald.ErrAuth},
		{401, apiError{89, "Invalid or expired token."}, false, herald.ErrAuth},
		{402, apiError{}, true, herald.ErrAuth},
		{503, apiError{130, "Over capacity"}, true, herald.ErrRetryable},
		{500, apiError{}, true, herald.ErrRetryable},
		{504, apiError{}, true, herald.ErrUnknownOutcome},
		{504, apiError{}, false, herald.ErrRetryable},
		{400, apiError{0, "The `ids` query parameter value [x] is not valid"}, false, herald.ErrPermanent},
		{404, apiError{}, false, herald.ErrPermanent},
	} {
		e := classify("op", tt.status, http.Header{}, tt.ae, tt.write)
		if e.Kind != tt.want || e.Message == "" {
			t.Errorf("classify(%d, %+v, write=%v) = %v, want %s", tt.status, tt.ae, tt.write, e, tt.want)
		}
	}
}

func TestParseAPIError(t *testing.T) {
	for _, tt := range []struct {
		body string
		want apiError
	}{
		{`{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}`,
			apiError{0, "You are not allowed to create a Tweet with duplicate content."}},
		{`{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`, apiError{88, "Rate limit exceeded"}},
		{`{"errors":[{"parameters":{"text":["…"]},"message":"Your Tweet text is too long."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.x.com/2/problems/invalid-request"}`,
			apiError{0, "Your Tweet text is too long."}},
		{`{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`, apiError{0, "Unauthorized"}},
		{`<html>Bad gateway</html>`, apiError{}},
	} {
		if got := parseAPIError([]byte(tt.body)); got != tt.want {
			t.Errorf("parseAPIError(%s) = %+v, want %+v", tt.body, got, tt.want)
		}
	}
}

func TestRetryAtHeaders(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	for _, tt := range []struct {
		h    http.Header
		want time.Time
	}{
		{h("x-rate-limit-remaining", "0", "x-rate-limit-reset", "1800000600"), now.Add(10 * time.Minute)},
		{h("x-rate-limit-remaining", "40", "x-rate-limit-reset", "1800000600",
			"x-user-limit-24hour-remaining", "0", "x-user-limit-24hour-reset", "1800050000"), time.Unix(1800050000, 0)},
		{h("x-rate-limit-remaining", "0", "x-rate-limit-reset", "1800000600",
			"x-app-limit-24hour-remaining", "0", "x-app-limit-24hour-reset", "1800070000"), time.Unix(1800070000, 0)},
		{h("Retry-After", "30"), now.Add(30 * time.Second)},
		{h(), now.Add(15 * time.Minute)},
		{h("x-rate-limit-remaining", "0", "x-rate-limit-reset", "1799999000"), now},
	} {
		if got := retryAt(tt.h, now); !got.Equal(tt.want) {
			t.Errorf("retryAt(%v) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

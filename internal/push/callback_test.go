package push

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/metrics"
)

// spyBody is a request body that records whether anyone read it.
type spyBody struct {
	read atomic.Bool
	r    io.Reader
}

func (b *spyBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.r.Read(p)
}

func (b *spyBody) Close() error { return nil }

// callback serves one POST to the callback in process and returns its
// status and whether the body was read.
func (f *wsFixture) callback(t *testing.T, target, sig, client string) (int, bool) {
	t.Helper()
	body := &spyBody{r: strings.NewReader(strings.Repeat("x", 1<<20))}
	r := httptest.NewRequest(http.MethodPost, target, body)
	r.RemoteAddr = client + ":40000"
	if sig != "" {
		r.Header.Set(SignatureHeader, sig)
	}
	mux := http.NewServeMux()
	mux.Handle(CallbackPattern, f.sub)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w.Code, body.read.Load()
}

// TestCallbackChecksBeforeReading: a push is read only when it is for an
// active subscription, with the right callback key and a signature header;
// anything else is answered before one byte of its body is read.
func TestCallbackChecksBeforeReading(t *testing.T) {
	reg := metrics.NewSet()
	f := newWS(t, "sync", func(o *SubscriberOptions) { o.Metrics = reg; o.RejectLimit = 8 })
	const client = "203.0.113.7"
	// No subscription yet.
	if code, read := f.callback(t, "/websub/world?k=abc", "sha256=00", client); read || code != http.StatusAccepted {
		t.Errorf("no subscription: %d, body read %v", code, read)
	}
	f.sub.sync(context.Background())
	req := f.hub.lastRequest()
	target := strings.TrimPrefix(req.Callback, f.cb.URL)
	good := "sha256=" + signWith("sha256", req.Secret, feedBody+" ")
	for name, c := range map[string]struct{ target, sig string }{
		"wrong key":        {strings.Replace(target, "?k=", "?k=0", 1), good},
		"no key":           {"/websub/world", good},
		"no signature":     {target, ""},
		"unknown method":   {target, "md5=" + strings.Repeat("0", 32)},
		"signature no hex": {target, "sha256=zz"},
	} {
		if code, read := f.callback(t, c.target, c.sig, client); read || code != http.StatusAccepted {
			t.Errorf("%s: %d, body read %v", name, code, read)
		}
	}
	// The right key and a signature: the body is read (and found wrong).
	if code, read := f.callback(t, target, good, "198.51.100.1"); !read || code != http.StatusAccepted {
		t.Errorf("a signed push: %d, body read %v", code, read)
	}
	for reason, want := range map[string]float64{"no_subscription": 1, "wrong_callback_key": 2,
		"missing_signature": 1, "invalid_signature": 3} {
		if got := rejectedCount(t, reg, reason); got != want {
			t.Errorf("rejected %s: %v, want %v", reason, got, want)
		}
	}
	// Six rejections so far from client; the limit is 8 a minute.
	for i := range 2 {
		if code, _ := f.callback(t, "/websub/world", good, client); code != http.StatusAccepted {
			t.Fatalf("rejection %d: %d", 7+i, code)
		}
	}
	if code, read := f.callback(t, target, good, client); code != http.StatusTooManyRequests || read {
		t.Errorf("over the limit: %d, body read %v", code, read)
	}
	if code, _ := f.callback(t, target, good, "198.51.100.2"); code != http.StatusAccepted {
		t.Errorf("another client: %d", code)
	}
	f.clock.Advance(time.Minute)
	if code, _ := f.callback(t, target, good, client); code != http.StatusAccepted {
		t.Errorf("a minute later: %d", code)
	}
	if got := rejectedCount(t, reg, "rate_limited"); got != 1 {
		t.Errorf("rate_limited: %v", got)
	}
}

// rejectedCount reads herald_websub_rejected_total{reason} from set.
func rejectedCount(t *testing.T, set *metrics.Set, reason string) float64 {
	t.Helper()
	return float64(set.GetOrCreateCounter(metrics.Series("herald_websub_rejected_total", "reason", reason)).Get())
}

package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
)

// sentAt signs a request as the CMS did at ts.
func sentAt(ts time.Time, body string) func(*http.Request) {
	return func(r *http.Request) {
		raw := strconv.FormatInt(ts.Unix(), 10)
		r.Header.Set(TimestampHeader, raw)
		r.Header.Set(SignatureHeader, Sign(testSecret, raw, []byte(body)))
	}
}

// TestWebhookReplayRefused: a signed request is accepted once; sent again
// within its 5-minute window, to this instance or another sharing the
// database, it is answered 409 and changes nothing.
func TestWebhookReplayRefused(t *testing.T) {
	f := newFixture(t, nil)
	const url = "https://news.example/mexico/replayed"
	oldEdit := `{"url":"` + url + `","title":"Old headline"}`
	newEdit := `{"url":"` + url + `","title":"New headline"}`
	sent := f.now
	if code, m := f.post(t, oldEdit, sentAt(sent, oldEdit)); code != http.StatusAccepted {
		t.Fatalf("first: %d %v", code, m)
	}
	f.now = f.now.Add(time.Minute)
	code, m := f.post(t, newEdit, nil)
	if code != http.StatusAccepted {
		t.Fatalf("edit: %d %v", code, m)
	}
	id := int64(decodeAnswer(t, m).Articles[0].ID)
	f.now = f.now.Add(time.Minute)
	if code, m := f.post(t, oldEdit, sentAt(sent, oldEdit)); code != http.StatusConflict || m["error"] == nil {
		t.Errorf("replay: %d %v, want 409", code, m)
	}
	// Another instance on the same database refuses it too.
	other := New(Options{Addr: "127.0.0.1:0", Store: f.store, Now: func() time.Time { return f.now },
		Webhook: WebhookOptions{Secret: testSecret, Accounts: []string{"x_main"}, MaxAge: 48 * time.Hour}}, nil)
	ts := httptest.NewServer(other.Handler())
	t.Cleanup(ts.Close)
	g := &fixture{store: f.store, srv: other, ts: ts, now: f.now}
	if code, m := g.post(t, oldEdit, sentAt(sent, oldEdit)); code != http.StatusConflict {
		t.Errorf("replay to another instance: %d %v, want 409", code, m)
	}
	art, err := f.store.GetArticle(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if art.Title != "New headline" {
		t.Errorf("stored title %q after a replay, want the newer edit", art.Title)
	}
}

// fillingDisk is a store whose article writes fail while full is set.
type fillingDisk struct {
	*sqlite.DB
	full *atomic.Bool
}

func (d fillingDisk) SaveArticles(ctx context.Context, id int64, in []herald.ArticleInput, now time.Time) ([]herald.SaveResult, error) {
	if d.full.Load() {
		return nil, errors.New("database or disk is full")
	}
	return d.DB.SaveArticles(ctx, id, in, now)
}

// TestWebhookRetryAfterFailure: a request Herald failed to record is not a
// replay when the CMS sends it again.
func TestWebhookRetryAfterFailure(t *testing.T) {
	full := &atomic.Bool{}
	full.Store(true)
	f := newFixture(t, func(o *Options) { o.Store = fillingDisk{o.Store.(*sqlite.DB), full} })
	body := `{"url":"https://news.example/mexico/retried","title":"t"}`
	sent := f.now
	if code, _ := f.post(t, body, sentAt(sent, body)); code != http.StatusInternalServerError {
		t.Fatalf("on a full disk: %d", code)
	}
	full.Store(false)
	if code, m := f.post(t, body, sentAt(sent, body)); code != http.StatusAccepted {
		t.Errorf("the retry: %d %v, want 202", code, m)
	}
}

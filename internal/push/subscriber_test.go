package push

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/netguard"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

const (
	worldTopic  = "https://news.example/feeds/world.xml"
	sportsTopic = "https://news.example/feeds/sports.xml"
	feedBody    = `<?xml version="1.0"?><rss version="2.0"><channel><title>World</title></channel></rss>`
)

type ingestCall struct{ source, body, contentType string }

type wsFixture struct {
	store *sqlite.DB
	hub   *testHub
	sub   *Subscriber
	cb    *httptest.Server
	clock *testkit.Clock

	mu        sync.Mutex
	ingested  []ingestCall
	ingestErr error
}

// newWS builds a store whose "world" feed (websub) and "sports" feed (not)
// advertise the test hub, as the poller records it, and a Subscriber whose
// callback is served on loopback.
func newWS(t *testing.T, hubMode string, mutate func(*SubscriberOptions)) *wsFixture {
	t.Helper()
	ctx := context.Background()
	f := &wsFixture{hub: newTestHub(t, hubMode), clock: testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
	db := teststore.SQLite(t)
	f.store = db
	specs := []herald.SourceSpec{{Name: "world", URL: worldTopic}, {Name: "sports", URL: sportsTopic}}
	if err := db.SyncSources(ctx, specs); err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	claimed, err := db.ClaimSources(ctx, "poller", now, time.Minute, 10)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim sources: %v %v", claimed, err)
	}
	for _, s := range claimed {
		if err := db.SavePoll(ctx, "poller", herald.PollResult{SourceID: s.ID, Status: 200, Seeded: true,
			PolledAt: now, NextPollAt: now.Add(time.Hour), HubURL: f.hub.srv.URL}); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	f.cb = httptest.NewServer(mux)
	t.Cleanup(f.cb.Close)
	opts := SubscriberOptions{
		Store:     db,
		PublicURL: f.cb.URL + "/",
		// The test hub is on loopback, over http.
		Guard:   netguard.Guard{AllowPrivate: true},
		Now:     f.clock.Now,
		Sources: []SourceConfig{{Name: "world", URL: worldTopic, WebSub: true}, {Name: "sports", URL: sportsTopic}},
		Ingest: func(_ context.Context, source string, body []byte, contentType string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.ingested = append(f.ingested, ingestCall{source, string(body), contentType})
			return f.ingestErr
		},
	}
	if mutate != nil {
		mutate(&opts)
	}
	f.sub = NewSubscriber(opts, nil)
	mux.Handle(CallbackPattern, f.sub)
	return f
}

func (f *wsFixture) ingestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ingested)
}

func (f *wsFixture) source(t *testing.T, name string) herald.Source {
	t.Helper()
	s, err := f.store.GetSource(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSubscribeVerifyAndPush(t *testing.T) {
	f := newWS(t, "sync", nil)
	ctx := context.Background()
	if f.sub.Active("world") {
		t.Fatal("active before subscribing")
	}
	f.sub.sync(ctx)

	if n := f.hub.requestCount(); n != 1 {
		t.Fatalf("hub got %d requests, want 1 (only the websub source)", n)
	}
	req := f.hub.lastRequest()
	if req.Mode != "subscribe" || req.Topic != worldTopic || req.Lease != DefaultLeaseSeconds ||
		!strings.HasPrefix(req.Callback, f.cb.URL+"/websub/world?k=") || len(req.Secret) < 32 || len(req.Secret) >= 200 {
		t.Fatalf("subscription request %+v", req)
	}
	src := f.source(t, "world")
	wantLease := f.clock.Now().Add(DefaultLeaseSeconds * time.Second)
	if src.PushState != StateActive || src.PushSecret != req.Secret || !src.PushLeaseUntil.Equal(wantLease) {
		t.Fatalf("stored state %q lease %v, want active until %v", src.PushState, src.PushLeaseUntil, wantLease)
	}
	if !f.sub.Active("world") || f.sub.Active("sports") || f.sub.Active("nope") {
		t.Errorf("Active: world %v sports %v", f.sub.Active("world"), f.sub.Active("sports"))
	}

	for _, alg := range []string{"sha1", "sha256", "sha384", "sha512"} {
		if code := f.hub.publish(worldTopic, feedBody+"<!--"+alg+"-->", alg, ""); code != http.StatusAccepted {
			t.Errorf("%s push: %d", alg, code)
		}
	}
	if n := f.ingestCount(); n != 4 {
		t.Fatalf("%d pushes ingested, want 4", n)
	}
	if got := f.ingested[1]; got.source != "world" || got.body != feedBody+"<!--sha256-->" || got.contentType != "application/rss+xml" {
		t.Errorf("ingested %+v", got)
	}

	// Pushes that fail authentication: 2xx, but dropped.
	wrongKey := strings.Replace(req.Callback, "?k=", "?k=0", 1)
	noKey := f.cb.URL + "/websub/world"
	good := signWith("sha256", req.Secret, feedBody)
	dropped := []struct {
		name string
		code int
	}{
		{"unsigned", f.hub.publishTo(req.Callback, feedBody, "", "")},
		{"wrong secret", f.hub.publish(worldTopic, feedBody, "sha256", "not-the-secret")},
		{"signature of another body", f.hub.publishTo(req.Callback, feedBody+" ", "sha256", good)},
		{"truncated signature", f.hub.publishTo(req.Callback, feedBody, "sha256", good[:40])},
		{"unknown algorithm", f.hub.publishTo(req.Callback, feedBody, "md5", good)},
		{"algorithm mismatch", f.hub.publishTo(req.Callback, feedBody, "sha512", good)},
		{"wrong callback key", f.hub.publishTo(wrongKey, feedBody, "sha256", good)},
		{"no callback key", f.hub.publishTo(noKey, feedBody, "sha256", good)},
	}
	for _, d := range dropped {
		if d.code != http.StatusAccepted {
			t.Errorf("%s: %d, want 202 (dropped silently)", d.name, d.code)
		}
	}
	if n := f.ingestCount(); n != 4 {
		t.Errorf("%d pushes ingested, want still 4: an unauthenticated push got through", n)
	}
	if code := f.hub.publishTo(f.cb.URL+"/websub/sports", feedBody, "sha256", good); code != http.StatusNotFound {
		t.Errorf("push to a source without websub: %d, want 404", code)
	}
}

func TestVerificationOfIntent(t *testing.T) {
	f := newWS(t, "silent", nil)
	ctx := context.Background()
	// Before any request, nothing is verified.
	probe := func(callback string, q url.Values) (int, string, http.Header) {
		t.Helper()
		sep := "?"
		if strings.Contains(callback, "?") {
			sep = "&"
		}
		resp, err := http.Get(callback + sep + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := make([]byte, 512)
		n, _ := resp.Body.Read(b)
		return resp.StatusCode, string(b[:n]), resp.Header
	}
	valid := func() url.Values {
		return url.Values{"hub.mode": {"subscribe"}, "hub.topic": {worldTopic}, "hub.challenge": {"abc123"}, "hub.lease_seconds": {"3600"}}
	}
	if code, _, _ := probe(f.cb.URL+"/websub/world", valid()); code != http.StatusNotFound {
		t.Fatalf("verification with no subscription asked: %d, want 404", code)
	}

	f.sub.sync(ctx) // the silent hub accepts and never verifies: pending
	cb := f.hub.lastRequest().Callback
	if s := f.source(t, "world"); s.PushState != StatePending || f.sub.Active("world") {
		t.Fatalf("state %q, active %v; want pending, inactive", s.PushState, f.sub.Active("world"))
	}
	with := func(k, v string) url.Values { q := valid(); q.Set(k, v); return q }
	refused := []struct {
		name     string
		callback string
		q        url.Values
	}{
		{"wrong topic", cb, with("hub.topic", sportsTopic)},
		{"unsubscribe", cb, with("hub.mode", "unsubscribe")},
		{"no callback key", f.cb.URL + "/websub/world", valid()},
		{"wrong callback key", strings.Replace(cb, "?k=", "?k=1", 1), valid()},
		{"empty challenge", cb, with("hub.challenge", "")},
		{"binary challenge", cb, with("hub.challenge", "<script>\x00")},
		{"long challenge", cb, with("hub.challenge", strings.Repeat("a", maxChallenge+1))},
		{"no lease", cb, with("hub.lease_seconds", "")},
		{"zero lease", cb, with("hub.lease_seconds", "0")},
		{"source without websub", f.cb.URL + "/websub/sports", with("hub.topic", sportsTopic)},
		{"unknown source", f.cb.URL + "/websub/nope", valid()},
	}
	for _, r := range refused {
		if code, body, _ := probe(r.callback, r.q); code != http.StatusNotFound || strings.Contains(body, "abc123") {
			t.Errorf("%s: %d %q, want 404 without the challenge", r.name, code, body)
		}
	}
	if s := f.source(t, "world"); s.PushState != StatePending {
		t.Fatalf("a refused verification changed the state to %q", s.PushState)
	}

	code, body, h := probe(cb, valid())
	if code != http.StatusOK || body != "abc123" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("valid verification: %d %q %v", code, body, h)
	}
	s := f.source(t, "world")
	if s.PushState != StateActive || !s.PushLeaseUntil.Equal(f.clock.Now().Add(time.Hour)) || !f.sub.Active("world") {
		t.Errorf("after verification: %q until %v", s.PushState, s.PushLeaseUntil)
	}
	// A hub re-confirming an active subscription is answered too.
	if code, body, _ := probe(cb, with("hub.challenge", "again")); code != http.StatusOK || body != "again" {
		t.Errorf("re-confirmation: %d %q", code, body)
	}
}

func TestAsyncVerification(t *testing.T) {
	f := newWS(t, "async", nil)
	f.sub.sync(context.Background())
	select {
	case ok := <-f.hub.verified:
		if !ok {
			t.Fatal("the hub's verification failed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no verification")
	}
	if !f.sub.Active("world") || f.source(t, "world").PushState != StateActive {
		t.Error("not active after an asynchronous verification")
	}
}

func TestRenewalBeforeLeaseEnds(t *testing.T) {
	f := newWS(t, "sync", nil)
	ctx := context.Background()
	f.hub.setGrant(3600) // the hub grants an hour: renew 12 minutes before the end
	f.sub.sync(ctx)
	first := f.hub.lastRequest()
	if s := f.source(t, "world"); !s.PushLeaseUntil.Equal(f.clock.Now().Add(time.Hour)) {
		t.Fatalf("lease until %v", s.PushLeaseUntil)
	}

	f.clock.Advance(47 * time.Minute) // 13 minutes left
	f.sub.sync(ctx)
	if n := f.hub.requestCount(); n != 1 {
		t.Fatalf("renewed too early: %d requests", n)
	}
	f.clock.Advance(2 * time.Minute) // 11 minutes left
	f.hub.setMode("silent")          // the renewal is accepted but not yet verified
	f.sub.sync(ctx)
	if n := f.hub.requestCount(); n != 2 {
		t.Fatalf("no renewal 11 minutes before the lease ends: %d requests", n)
	}
	second := f.hub.lastRequest()
	if second.Topic != first.Topic || second.Callback != first.Callback || second.Secret != first.Secret {
		t.Errorf("renewal %+v differs from the subscription %+v", second, first)
	}
	if !f.sub.Active("world") {
		t.Error("a renewal in flight must keep the subscription active")
	}
	if code := f.hub.publish(worldTopic, feedBody, "sha256", ""); code != http.StatusAccepted || f.ingestCount() != 1 {
		t.Errorf("push during renewal: %d, %d ingested", code, f.ingestCount())
	}

	f.hub.verify(second, 3600) // the hub verifies the renewal now
	if s := f.source(t, "world"); s.PushState != StateActive || !s.PushLeaseUntil.Equal(f.clock.Now().Add(time.Hour)) {
		t.Errorf("after renewal: %q until %v, want active until %v", s.PushState, s.PushLeaseUntil, f.clock.Now().Add(time.Hour))
	}
}

func TestLongerLeaseThanAskedIsCapped(t *testing.T) {
	f := newWS(t, "sync", func(o *SubscriberOptions) { o.LeaseSeconds = 600 })
	f.hub.setGrant(864000)
	f.sub.sync(context.Background())
	if r := f.hub.lastRequest(); r.Lease != 600 {
		t.Errorf("asked for %d s", r.Lease)
	}
	if s := f.source(t, "world"); !s.PushLeaseUntil.Equal(f.clock.Now().Add(600 * time.Second)) {
		t.Errorf("lease until %v, want the 600 s asked for", s.PushLeaseUntil)
	}
}

func TestDenial(t *testing.T) {
	f := newWS(t, "deny", nil)
	ctx := context.Background()
	f.sub.sync(ctx)
	s := f.source(t, "world")
	if s.PushState != StateFailed || s.PushSecret != "" || f.sub.Active("world") {
		t.Fatalf("after denial: state %q secret set %v active %v", s.PushState, s.PushSecret != "", f.sub.Active("world"))
	}
	f.hub.setMode("sync")
	f.clock.Advance(time.Hour)
	f.sub.sync(ctx)
	if n := f.hub.requestCount(); n != 1 {
		t.Fatalf("asked again %d times within the denial wait", n-1)
	}
	f.clock.Advance(DefaultDeniedRetry)
	f.sub.sync(ctx)
	if n := f.hub.requestCount(); n != 2 || !f.sub.Active("world") {
		t.Fatalf("after the denial wait: %d requests, active %v", n, f.sub.Active("world"))
	}
	if f.hub.lastRequest().Secret == "" {
		t.Error("a new subscription after a denial has no secret")
	}
}

func TestHubErrorBackoffAndPendingTimeout(t *testing.T) {
	f := newWS(t, "error", nil)
	ctx := context.Background()
	f.sub.sync(ctx)
	if s := f.source(t, "world"); s.PushState != StateFailed || f.sub.Active("world") {
		t.Fatalf("after a hub error: %q", s.PushState)
	}
	f.sub.sync(ctx)
	if n := f.hub.requestCount(); n != 1 {
		t.Fatalf("retried at once: %d requests", n)
	}
	// A failed subscription is not verified, even with the right callback.
	q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {worldTopic}, "hub.challenge": {"c"}, "hub.lease_seconds": {"60"}}
	if resp, err := http.Get(f.hub.lastRequest().Callback + "&" + q.Encode()); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("verification of a failed subscription: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	f.clock.Advance(2 * DefaultRetryMin)
	f.hub.setMode("silent")
	f.sub.sync(ctx)
	if n := f.hub.requestCount(); n != 2 {
		t.Fatalf("no retry after the backoff: %d requests", n)
	}
	// Accepted but never verified: given up after PendingTimeout, then retried.
	f.clock.Advance(DefaultPendingTimeout + time.Second)
	f.sub.sync(ctx)
	if s := f.source(t, "world"); s.PushState != StateFailed {
		t.Fatalf("pending past the timeout: %q", s.PushState)
	}
	f.hub.setMode("sync")
	f.clock.Advance(DefaultRetryMax + time.Minute)
	f.sub.sync(ctx)
	if n := f.hub.requestCount(); n != 3 || !f.sub.Active("world") {
		t.Fatalf("after recovery: %d requests, active %v", n, f.sub.Active("world"))
	}

	// A failed renewal keeps the current lease: still active, polled less.
	lease := f.source(t, "world").PushLeaseUntil
	f.hub.setMode("error")
	f.clock.Advance(time.Duration(DefaultLeaseSeconds)*time.Second - 12*time.Hour)
	f.sub.sync(ctx)
	if s := f.source(t, "world"); s.PushState != StateActive || !s.PushLeaseUntil.Equal(lease) || !f.sub.Active("world") {
		t.Errorf("after a failed renewal: %q until %v, active %v", s.PushState, s.PushLeaseUntil, f.sub.Active("world"))
	}
	f.clock.Advance(13 * time.Hour)
	if f.sub.Active("world") {
		t.Error("active after the lease ended")
	}
}

func TestPushIngestErrorAndBodyCap(t *testing.T) {
	f := newWS(t, "sync", func(o *SubscriberOptions) { o.MaxBody = 1024 })
	f.sub.sync(context.Background())
	f.mu.Lock()
	f.ingestErr = errors.New("store is locked")
	f.mu.Unlock()
	if code := f.hub.publish(worldTopic, feedBody, "sha256", ""); code != http.StatusInternalServerError {
		t.Errorf("ingest failure: %d, want 500 so the hub delivers again", code)
	}
	f.mu.Lock()
	f.ingestErr = nil
	f.mu.Unlock()
	before := f.ingestCount()
	if code := f.hub.publish(worldTopic, strings.Repeat("x", 2048), "sha256", ""); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized push: %d, want 413", code)
	}
	if f.ingestCount() != before {
		t.Error("an oversized push was ingested")
	}
}

func TestOneInstanceManagesSubscriptions(t *testing.T) {
	f := newWS(t, "error", nil)
	ctx := context.Background()
	other := NewSubscriber(SubscriberOptions{Store: f.store, PublicURL: f.cb.URL, Now: f.clock.Now,
		Sources: []SourceConfig{{Name: "world", URL: worldTopic, WebSub: true}}, Owner: "other",
		Guard: netguard.Guard{AllowPrivate: true}}, nil)
	defer other.lock.Release()
	defer f.sub.lock.Release()
	f.sub.sync(ctx) // fails: f.sub backs off
	other.sync(ctx) // would ask at once if it managed subscriptions too
	if n := f.hub.requestCount(); n != 1 {
		t.Errorf("%d subscription requests from two instances, want 1", n)
	}
	// The first instance is gone: once its lock lapses the other takes over.
	f.hub.setMode("sync")
	f.clock.Advance(3*DefaultCheckInterval + time.Second)
	other.sync(ctx)
	other.sync(ctx) // the callback was served by the first instance: the store tells the other
	if n := f.hub.requestCount(); n != 2 || !other.Active("world") {
		t.Errorf("after the lock lapsed: %d requests, active %v", n, other.Active("world"))
	}
}

func TestRun(t *testing.T) {
	f := newWS(t, "sync", func(o *SubscriberOptions) { o.CheckInterval = 10 * time.Millisecond })
	stop := testkit.Run(t, 5*time.Second, f.sub.Run)
	deadline := time.After(5 * time.Second)
	for !f.sub.Active("world") {
		select {
		case <-deadline:
			t.Fatal("Run did not subscribe")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	none := NewSubscriber(SubscriberOptions{Store: f.store, Sources: []SourceConfig{{Name: "sports", URL: sportsTopic}}}, nil)
	if err := none.Run(context.Background()); err != nil {
		t.Errorf("Run without websub sources: %v", err)
	}
	bad := NewSubscriber(SubscriberOptions{Store: f.store, PublicURL: "not a url",
		Sources: []SourceConfig{{Name: "world", URL: worldTopic, WebSub: true}}}, nil)
	if err := bad.Run(context.Background()); err == nil {
		t.Error("Run with a relative public URL: no error")
	}
}

func TestValidSignature(t *testing.T) {
	body := []byte(feedBody)
	for _, alg := range []string{"sha1", "sha256", "sha384", "sha512"} {
		sig := signWith(alg, "k", string(body))
		if !ValidSignature("k", alg+"="+sig, body) {
			t.Errorf("%s: valid signature refused", alg)
		}
		if !ValidSignature("k", strings.ToUpper(alg)+"="+strings.ToUpper(sig), body) {
			t.Errorf("%s: upper-case form refused", alg)
		}
		for _, bad := range []string{alg + "=" + sig[:len(sig)-2], alg + "=", alg, "=" + sig, "md5=" + sig, alg + "=" + sig + "00"} {
			if ValidSignature("k", bad, body) {
				t.Errorf("accepted %q", bad)
			}
		}
		if ValidSignature("other", alg+"="+sig, body) {
			t.Errorf("%s: wrong secret accepted", alg)
		}
	}
}

package push

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/netguard"
)

// TestHubOutboundPolicy: a hub comes from feed content. Its secret goes
// only over https, and never to an internal address, unless the source is
// itself on an internal network or private networks are allowed.
func TestHubOutboundPolicy(t *testing.T) {
	dns := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "news.example", "hub.example":
			return []netip.Addr{netip.MustParseAddr("203.0.113.10")}, nil
		case "rebind.example":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	strict := func(o *SubscriberOptions) { o.Guard = netguard.Guard{Lookup: dns} }
	_, port, _ := strings.Cut(strings.TrimPrefix(newTestHub(t, "sync").srv.URL, "http://"), ":")
	for _, tt := range []struct{ name, hub, want string }{
		{"plain http to a public hub", "http://hub.example/", "only over https"},
		{"loopback hub", "http://127.0.0.1:" + port + "/", "only over https"},
		{"https hub on loopback", "https://127.0.0.1:" + port + "/", "refused 127.0.0.1"},
		{"https hub whose name resolves to loopback", "https://rebind.example:" + port + "/", "refused 127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newWS(t, "sync", strict)
			setHub(t, f, tt.hub)
			err := f.sub.requestSubscription(context.Background(), tt.hub, f.sub.sources["world"], "s3cret")
			if !errors.Is(err, netguard.ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("subscribe to %s: %v, want refused (%s)", tt.hub, err, tt.want)
			}
			f.sub.sync(context.Background())
			if n := f.hub.requestCount(); n != 0 {
				t.Fatalf("the hub got %d requests", n)
			}
			if s := f.source(t, "world"); s.PushState == StateActive {
				t.Fatalf("state %q after a refused hub", s.PushState)
			}
		})
	}

	// A source configured on an internal network may use a hub there.
	f := newWS(t, "sync", func(o *SubscriberOptions) {
		o.Guard = netguard.Guard{Lookup: dns}
		o.Sources[0].URL = "http://127.0.0.1:1/feeds/world.xml"
	})
	f.sub.sync(context.Background())
	if n := f.hub.requestCount(); n != 1 {
		t.Fatalf("intranet source: the hub got %d requests, want 1", n)
	}
}

// setHub records hub as the feed's hub of every source.
func setHub(t *testing.T, f *wsFixture, hub string) {
	t.Helper()
	for _, name := range []string{"world", "sports"} {
		s := f.source(t, name)
		if err := f.store.SetPush(context.Background(), s.ID, herald.PushState{HubURL: hub}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHubDroppedByFeedEndsSubscription: once the feed no longer names the
// hub (the poll recorded none), the next check unsubscribes, clears the
// state and refuses the old hub's pushes.
func TestHubDroppedByFeedEndsSubscription(t *testing.T) {
	f := newWS(t, "sync", nil)
	ctx := context.Background()
	f.sub.sync(ctx)
	sub := f.hub.lastRequest()
	src := f.source(t, "world")
	if src.PushState != StateActive {
		t.Fatalf("state %q, want active", src.PushState)
	}
	// The poll of a feed without its hub records none (see feed's poll).
	if err := f.store.SetPush(ctx, src.ID, herald.PushState{State: src.PushState, Secret: src.PushSecret,
		LeaseUntil: src.PushLeaseUntil}); err != nil {
		t.Fatal(err)
	}
	f.sub.sync(ctx)
	req := f.hub.lastRequest()
	if req.Mode != "unsubscribe" || req.Topic != worldTopic || req.Callback != sub.Callback {
		t.Fatalf("hub got %+v, want an unsubscription of %s", req, sub.Callback)
	}
	f.hub.mu.Lock()
	verified := f.hub.subs[worldTopic].Mode
	f.hub.mu.Unlock()
	if verified != "unsubscribe" {
		t.Errorf("the unsubscription was not verified by the callback (last verified: %q)", verified)
	}
	src = f.source(t, "world")
	if src.PushState != StateNone || src.PushSecret != "" || !src.PushLeaseUntil.IsZero() || f.sub.Active("world") {
		t.Fatalf("after the hub was dropped: state %q secret %v lease %v active %v",
			src.PushState, src.PushSecret != "", src.PushLeaseUntil, f.sub.Active("world"))
	}
	if f.hub.publishTo(sub.Callback, feedBody, "sha256", signWith("sha256", sub.Secret, feedBody)); f.ingestCount() != 0 {
		t.Error("a push from the dropped hub was ingested")
	}
	// Nothing more is asked of any hub while the feed names none.
	n := f.hub.requestCount()
	f.clock.Advance(time.Hour)
	f.sub.sync(ctx)
	if f.hub.requestCount() != n {
		t.Error("the subscriber asked a hub again after the feed dropped it")
	}
}

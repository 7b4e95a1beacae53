package bluesky_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/bluesky"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/netguard"
	"github.com/heraldhq/herald/internal/testkit/nettest"
)

const (
	did         = "did:plc:z72i7hdynmk6r22z27h6tvur"
	handle      = "news.example.com"
	appPassword = "abcd-efgh-ijkl-mnop"
)

type fixture struct {
	*nettest.Fixture[*emulator.Bluesky, *bluesky.Client]
	tokens *nettest.Tokens
}

func setup(t *testing.T, opts emulator.BlueskyOptions) *fixture {
	t.Helper()
	f := &fixture{tokens: &nettest.Tokens{}}
	f.Fixture = nettest.Start[*emulator.Bluesky, *bluesky.Client](t, func(now func() time.Time) (*emulator.Bluesky, *httptest.Server) {
		opts.Now = now
		return emulator.StartBluesky(opts)
	})
	f.Emu.AddAccount(emulator.BlueskyAccount{DID: did, Handle: handle, AppPassword: appPassword})
	f.Client = f.newClient(t)
	return f
}

func (f *fixture) newClient(t *testing.T) *bluesky.Client {
	t.Helper()
	c, err := bluesky.New(bluesky.Config{AccountID: "sky", PDSURL: f.URL, Handle: handle, AppPassword: appPassword,
		Language: "es", HTTPTimeout: 5 * time.Second, Now: f.Clock.Now,
		// The test's images are served on loopback.
		ImageGuard: netguard.Guard{AllowPrivate: true}}, f.tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// asError returns err as a *herald.Error and checks it keeps secrets out.
func (f *fixture) asError(t *testing.T, err error) *herald.Error {
	t.Helper()
	tok, _ := f.tokens.Get("sky")
	return nettest.AsError(t, err, herald.Bluesky, appPassword, tok.AccessToken, tok.RefreshToken)
}

// pngImage returns a small PNG.
func pngImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// images serves /storm.png, /big.png (over the size cap) and 404 elsewhere.
func images(t *testing.T, small []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/storm.png":
			_, _ = w.Write(small)
		case "/big.png":
			_, _ = w.Write(append(small, make([]byte, 1<<20)...))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestPublishFacetsAndCard(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	img := pngImage(t)
	imgs := images(t, img)
	// Accents, a ZWJ emoji and a combining mark before the link: its facet
	// must start at the byte offset, not the character or UTF-16 offset.
	prefix := "Café ☕ 👩‍👩‍👧 e\u0301 — Tormenta: ¿qué pasó? "
	link := "https://news.example/storm?utm_source=bluesky&utm_medium=social"
	m := herald.Message{Text: prefix + link, Link: link, Title: "Tormenta en la costa",
		Description: "Lo que sabemos hasta ahora.", ImageURL: imgs + "/storm.png"}
	r, p := nettest.PublishOnly(context.Background(), t, f.Client, m, f.Emu.Posts)
	if p.Text != m.Text || p.DID != did || len(p.Langs) != 1 || p.Langs[0] != "es" || p.CreatedAt != "2026-04-01T09:00:00.000Z" {
		t.Errorf("post = %+v", p)
	}
	wantStart := len([]byte(prefix)) // 51 bytes; 31 characters
	if len(p.Facets) != 1 || p.Facets[0].ByteStart != wantStart || p.Facets[0].ByteEnd != wantStart+len(link) ||
		p.Facets[0].URI != link || p.Facets[0].Text != link {
		t.Errorf("facets = %+v, want bytes %d..%d", p.Facets, wantStart, wantStart+len(link))
	}
	e := p.Embed
	if e == nil || e.URI != link || e.Title != m.Title || e.Description != m.Description {
		t.Fatalf("card = %+v", e)
	}
	if e.Thumb == nil || e.Thumb.MimeType != "image/png" || e.Thumb.Size != len(img) {
		t.Errorf("thumb = %+v", e.Thumb)
	}
	if r.RemoteID != p.URI || r.Permalink != "https://bsky.app/profile/"+handle+"/post/"+p.RKey || !r.At.Equal(f.Clock.Now()) {
		t.Errorf("receipt = %+v for %s", r, p.URI)
	}
	// The thumb cost 1 point and the post 3 of 5000 an hour.
	if len(r.Limits) != 1 || r.Limits[0].Limit != 5000 || r.Limits[0].Remaining != 4996 ||
		!r.Limits[0].Reset.Equal(f.Clock.Now().Add(time.Hour)) {
		t.Errorf("limits = %+v", r.Limits)
	}
	if f.Client.Network() != herald.Bluesky {
		t.Errorf("network = %q", f.Client.Network())
	}
}

func TestThumbLeftOut(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	imgs := images(t, pngImage(t))
	for _, path := range []string{"/missing.png", "/big.png"} {
		m := herald.Message{Text: "Story https://news.example/" + path, Link: "https://news.example/" + path,
			Title: "Story", ImageURL: imgs + path}
		if _, err := f.Client.Publish(context.Background(), m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	for _, p := range f.Emu.Posts() {
		if p.Embed == nil || p.Embed.Thumb != nil {
			t.Errorf("card = %+v, want one without a thumb", p.Embed)
		}
	}
}

// TestSessionRefreshPersisted: an expired access token is refreshed once,
// the rotated pair is stored, and a new process resumes from the store
// without logging in with the app password again.
func TestSessionRefreshPersisted(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	ctx := context.Background()
	post := func(c *bluesky.Client, i int) {
		t.Helper()
		nettest.Publish(ctx, t, c, herald.Message{Text: fmt.Sprintf("Story %d", i)})
	}
	post(f.Client, 1)
	first, _ := f.tokens.Get("sky")
	if first.AccessToken == "" || first.RefreshToken == "" || !first.Expiry.Equal(f.Clock.Now().Add(2*time.Hour)) {
		t.Fatalf("stored token = %+v", first)
	}
	emulatortest.ExpireSessions(f.Emu)
	post(f.Client, 2)
	second, _ := f.tokens.Get("sky")
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Error("the rotated pair was not stored")
	}
	// Past the expiry by the clock, the client renews before calling.
	f.Clock.Advance(3 * time.Hour)
	post(f.Client, 3)
	if f.Emu.Sessions() != 1 {
		t.Errorf("%d logins, want 1", f.Emu.Sessions())
	}
	// A new process resumes the stored session.
	post(f.newClient(t), 4)
	if f.Emu.Sessions() != 1 {
		t.Errorf("%d logins after a restart, want 1", f.Emu.Sessions())
	}
	// Sessions revoked (the app password was changed back and forth): log in again.
	emulatortest.RevokeSessions(f.Emu, did)
	post(f.newClient(t), 5)
	if f.Emu.Sessions() != 2 || len(f.Emu.Posts()) != 5 {
		t.Errorf("%d logins, %d posts", f.Emu.Sessions(), len(f.Emu.Posts()))
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	msg := herald.Message{Text: "Story https://news.example/a", Link: "https://news.example/a", Title: "Story"}
	t.Run("wrong app password", func(t *testing.T) {
		f := setup(t, emulator.BlueskyOptions{})
		f.Emu.AddAccount(emulator.BlueskyAccount{DID: did, Handle: handle, AppPassword: "other"})
		_, err := f.Client.Publish(ctx, msg)
		if he := f.asError(t, err); he.Kind != herald.ErrAuth || he.Status != 401 || !strings.Contains(he.Message, "AuthenticationRequired") {
			t.Errorf("%+v", he)
		}
	})
	t.Run("injected 429", func(t *testing.T) {
		f := setup(t, emulator.BlueskyOptions{FaultReset: 2 * time.Minute})
		emulatortest.Faults(f.Emu).Next(emulator.FaultRateLimit)
		_, err := f.Client.Publish(ctx, msg)
		if he := f.asError(t, err); he.Kind != herald.ErrRateLimited || !he.RetryAt.Equal(f.Clock.Now().Add(2*time.Minute)) {
			t.Errorf("%+v", he)
		}
	})
	t.Run("write allowance", func(t *testing.T) {
		f := setup(t, emulator.BlueskyOptions{WritePoints: 4})
		nettest.Publish(ctx, t, f.Client, msg)
		_, err := f.Client.Publish(ctx, msg)
		if he := f.asError(t, err); he.Kind != herald.ErrRateLimited || !he.RetryAt.Equal(f.Clock.Now().Add(time.Hour)) {
			t.Errorf("%+v", he)
		}
	})
	t.Run("server error", func(t *testing.T) {
		f := setup(t, emulator.BlueskyOptions{})
		emulatortest.Faults(f.Emu).Next(emulator.FaultServerError)
		_, err := f.Client.Publish(ctx, msg)
		if he := f.asError(t, err); he.Kind != herald.ErrRetryable || he.Status != 500 {
			t.Errorf("%+v", he)
		}
	})
	t.Run("too long", func(t *testing.T) {
		f := setup(t, emulator.BlueskyOptions{})
		_, err := f.Client.Publish(ctx, herald.Message{Text: strings.Repeat("a", 301)})
		he := f.asError(t, err)
		if he.Kind != herald.ErrPermanent || xrpcName(he) != "InvalidRequest" || !strings.Contains(he.Message, "300 graphemes") {
			t.Errorf("%+v", he)
		}
	})
	t.Run("dropped answer, then found", func(t *testing.T) {
		f := setup(t, emulator.BlueskyOptions{})
		start := f.Clock.Now()
		if _, err := f.Client.Check(ctx); err != nil { // log in first: the drop hits the post
			t.Fatal(err)
		}
		emulatortest.Faults(f.Emu).Next(emulator.FaultDrop)
		_, err := f.Client.Publish(ctx, msg)
		if he := f.asError(t, err); he.Kind != herald.ErrUnknownOutcome {
			t.Fatalf("%+v", he)
		}
		r, found, reads, err := f.Client.FindPost(ctx, msg.Link, start)
		if err != nil || !found || reads != 1 || r.RemoteID != f.Emu.Posts()[0].URI {
			t.Errorf("found %v reads %d err %v receipt %+v", found, reads, err, r)
		}
	})
}

func xrpcName(err error) string {
	var xe *bluesky.XRPCError
	if errors.As(err, &xe) {
		return xe.Name
	}
	return ""
}

func TestEngagementAndDelete(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	ctx := context.Background()
	var uris []string
	for i := range 30 { // two getPosts calls
		r := nettest.Publish(ctx, t, f.Client, herald.Message{Text: fmt.Sprintf("Story %d", i)})
		uris = append(uris, r.RemoteID)
	}
	f.Emu.SetEngagement(uris[27], emulator.BlueskyEngagement{Likes: 40, Reposts: 5, Quotes: 2, Replies: 9})
	if err := f.Client.Delete(ctx, uris[3]); err != nil {
		t.Fatal(err)
	}
	if err := f.Client.Delete(ctx, uris[3]); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	counts, gone, err := f.Client.Engagement(ctx, append(uris, "not-a-uri"))
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[uris[27]]; got != (herald.Engagement{Reactions: 40, Shares: 5, Quotes: 2, Comments: 9}) {
		t.Errorf("engagement = %+v", got)
	}
	if len(counts) != 29 || len(gone) != 2 || gone[0] != "not-a-uri" || gone[1] != uris[3] {
		t.Errorf("%d counted, gone %v", len(counts), gone)
	}
	other := strings.Replace(uris[0], did, "did:plc:someoneelse", 1)
	if he := f.asError(t, f.Client.Delete(ctx, other)); he.Kind != herald.ErrPermanent {
		t.Errorf("%+v", he)
	}
}

func TestFindPost(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	ctx := context.Background()
	start := f.Clock.Now()
	link := func(i int) string { return fmt.Sprintf("https://news.example/story-%d", i) }
	var want herald.Receipt
	for i := range 60 {
		// Some posts link only in the text, some only on the card.
		m := herald.Message{Text: "Story " + link(i)}
		if i%2 == 1 {
			m = herald.Message{Text: "Story", Link: link(i)}
		}
		r := nettest.Publish(ctx, t, f.Client, m)
		if i == 3 {
			want = r
		}
		f.Clock.Advance(time.Minute)
	}
	r, found, reads, err := f.Client.FindPost(ctx, link(3), start)
	if err != nil || !found || r.RemoteID != want.RemoteID || r.Permalink != want.Permalink || !r.At.Equal(start.Add(3*time.Minute)) {
		t.Fatalf("found %v err %v receipt %+v want %+v", found, err, r, want)
	}
	if reads != 60 { // a page of 50, then the last 10
		t.Errorf("reads = %d", reads)
	}
	if _, found, _, err = f.Client.FindPost(ctx, link(4), f.Clock.Now().Add(-10*time.Minute)); err != nil || found {
		t.Errorf("outside the window: found %v err %v", found, err)
	}
}

func TestCheck(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	id, err := f.Client.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id.ID != did || id.Name != "@"+handle || len(id.Warnings) != 0 {
		t.Errorf("identity = %+v", id)
	}
}

// TestPublishFacetsAsBlueskyDetects: the link facet of a link ending in a
// parenthesis it opened covers the parenthesis, as Bluesky's RichText does,
// and hashtags get tag facets.
func TestPublishFacetsAsBlueskyDetects(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	link := "https://en.wikipedia.org/wiki/Mercury_(planet)"
	m := herald.Message{Text: "Mercury, closest to the Sun: " + link + " #space #Astronomía."}
	if _, err := f.Client.Publish(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	posts := f.Emu.Posts()
	if len(posts) != 1 {
		t.Fatalf("%d posts", len(posts))
	}
	var got []string
	for _, fc := range posts[0].Facets {
		got = append(got, fc.Text+"="+fc.URI+fc.Tag)
	}
	want := []string{link + "=" + link, "#space=space", "#Astronomía=Astronomía"}
	if !slices.Equal(got, want) {
		t.Errorf("facets %q, want %q", got, want)
	}
}

// TestReplyThread posts a thread of three: each reply's parent is the post
// before and its root the first, with their CIDs (the emulation checks
// them); a reply to a post that is gone is refused for good.
func TestReplyThread(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	ctx := context.Background()
	nettest.PublishThread(ctx, t, f.Client, nil)
	posts := f.Emu.Posts()
	if len(posts) != 3 || posts[0].ReplyParent != "" ||
		posts[1].ReplyParent != posts[0].URI || posts[1].ReplyRoot != posts[0].URI ||
		posts[2].ReplyParent != posts[1].URI || posts[2].ReplyRoot != posts[0].URI {
		t.Fatalf("thread = %+v", posts)
	}
	if err := f.Client.Delete(ctx, posts[2].URI); err != nil {
		t.Fatal(err)
	}
	_, err := f.Client.Publish(ctx, herald.Message{Text: "late reply", ReplyTo: posts[2].URI})
	if he := f.asError(t, err); he.Kind != herald.ErrPermanent {
		t.Errorf("reply to a deleted post: kind %v", he.Kind)
	}
}

// TestCardImageOnInternalAddressNotFetched: an item's image URL comes from
// a feed; one on loopback is not fetched, and the post goes out without a
// thumb.
func TestCardImageOnInternalAddressNotFetched(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	var hits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write(pngImage(t))
	}))
	t.Cleanup(internal.Close)
	c, err := bluesky.New(bluesky.Config{AccountID: "sky", PDSURL: f.URL, Handle: handle, AppPassword: appPassword,
		HTTPTimeout: 5 * time.Second, Now: f.Clock.Now}, f.tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	link := "https://news.example/storm"
	if _, err := c.Publish(context.Background(), herald.Message{Text: "Storm " + link, Link: link, Title: "Storm",
		ImageURL: internal.URL + "/admin.png"}); err != nil {
		t.Fatal(err)
	}
	posts := f.Emu.Posts()
	if len(posts) != 1 || posts[0].Embed == nil || posts[0].Embed.Thumb != nil || hits.Load() != 0 {
		t.Fatalf("posts %+v, %d image fetches: want a card without thumb and no fetch", posts, hits.Load())
	}
}

package emulator_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/bluesky"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/facebook"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/mastodon"
	"github.com/heraldhq/herald/internal/netguard"
	"github.com/heraldhq/herald/internal/testkit/nettest"
	"github.com/heraldhq/herald/internal/twitter"
)

// exercise makes every kind of request a publisher makes: check, publish,
// find the post again, read its engagement, delete it.
func exercise(t *testing.T, name string, p herald.Publisher, m herald.Message) {
	t.Helper()
	ctx := context.Background()
	if _, err := p.Check(ctx); err != nil {
		t.Errorf("%s check: %v", name, err)
	}
	since := time.Now().Add(-time.Hour)
	r, err := p.Publish(ctx, m)
	if err != nil {
		t.Errorf("%s publish: %v", name, err)
		return
	}
	if _, found, _, err := p.FindPost(ctx, m.Link, since); err != nil || !found {
		t.Errorf("%s find post: found %v, %v", name, found, err)
	}
	if _, gone, err := p.Engagement(ctx, []string{r.RemoteID}); err != nil || len(gone) != 0 {
		t.Errorf("%s engagement: gone %v, %v", name, gone, err)
	}
	if err := p.Delete(ctx, r.RemoteID); err != nil {
		t.Errorf("%s delete: %v", name, err)
	}
}

// TestEveryRequestConforms sends one request of every kind Herald makes to
// each network, through its real client, and requires the emulations, which
// check them against the networks' published definitions, to have seen no
// departure from them.
func TestEveryRequestConforms(t *testing.T) {
	link := "https://news.example.com/2026/mercury?utm_source=herald"
	msg := herald.Message{Text: "Mercury, closest to the Sun #space " + link, Link: link,
		Title: "Mercury", Description: "The smallest planet.", IdempotencyKey: "herald-1-acct-0"}

	// X: v2 with OAuth 1.0a and with OAuth 2.0, and v1.1.
	x, xsrv := emulator.StartX(emulator.XOptions{Users: []emulator.XUser{
		{ID: "1001", Username: "daily", ConsumerKey: "ck", ConsumerSecret: "cs", AccessToken: "1001-at",
			AccessTokenSecret: "as", ClientID: "client", ClientSecret: "secret", RefreshToken: "r1", V11Access: true},
	}})
	t.Cleanup(xsrv.Close)
	for _, c := range []twitter.Config{
		{AccountID: "x1", API: "v2", Auth: "oauth1"},
		{AccountID: "x2", API: "v2", Auth: "oauth2"},
		{AccountID: "x3", API: "v1.1", Auth: "oauth1"},
	} {
		c.BaseURL, c.HTTPTimeout = xsrv.URL, 5*time.Second
		c.ConsumerKey, c.ConsumerSecret, c.AccessToken, c.AccessTokenSecret = "ck", "cs", "1001-at", "as"
		c.ClientID, c.ClientSecret, c.RefreshToken = "client", "secret", "r1"
		if c.Auth == "oauth2" {
			c.ConsumerKey, c.ConsumerSecret, c.AccessToken, c.AccessTokenSecret = "", "", "", ""
		}
		p, err := twitter.New(c, &nettest.Tokens{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := msg
		m.Text = c.AccountID + " " + msg.Text // X refuses the same text twice
		exercise(t, "x "+c.API+" "+c.Auth, p, m)
	}
	if v := x.Violations(); len(v) != 0 {
		t.Errorf("X: %d violations: %q", len(v), v)
	}

	// Facebook.
	g, gsrv := emulator.StartGraph(emulator.GraphOptions{})
	t.Cleanup(gsrv.Close)
	g.AddPage(emulator.GraphPage{ID: "104000000000001", Name: "The Daily", AccessToken: "page-token",
		AppID: "app", AppSecret: "app-secret"})
	fb, err := facebook.New(facebook.Config{AccountID: "fb", PageID: "104000000000001", PageAccessToken: "page-token",
		AppID: "app", AppSecret: "app-secret", GraphBaseURL: gsrv.URL, HTTPTimeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fbMsg := msg
	fbMsg.Text = "Mercury, closest to the Sun"
	exercise(t, "facebook", fb, fbMsg)
	if v := g.Violations(); len(v) != 0 {
		t.Errorf("Graph: %d violations: %q", len(v), v)
	}

	// Mastodon.
	ms, msrv := emulator.StartMastodon(emulator.MastodonOptions{})
	t.Cleanup(msrv.Close)
	ms.AddAccount(emulator.MastodonAccount{ID: "109000000000000001", Username: "daily", Token: "masto-token"})
	mc, err := mastodon.New(mastodon.Config{AccountID: "masto", InstanceURL: msrv.URL, AccessToken: "masto-token",
		Language: "es", HTTPTimeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, "mastodon", mc, msg)
	if v := ms.Violations(); len(v) != 0 {
		t.Errorf("Mastodon: %d violations: %q", len(v), v)
	}

	// Bluesky, with a card whose thumb is uploaded.
	var png8 bytes.Buffer
	if err := png.Encode(&png8, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	imgs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png8.Bytes())
	}))
	t.Cleanup(imgs.Close)
	sky, ssrv := emulator.StartBluesky(emulator.BlueskyOptions{})
	t.Cleanup(ssrv.Close)
	sky.AddAccount(emulator.BlueskyAccount{DID: "did:plc:daily", Handle: "daily.example.com", AppPassword: "app-pw"})
	bc, err := bluesky.New(bluesky.Config{AccountID: "sky", PDSURL: ssrv.URL, Handle: "daily.example.com",
		AppPassword: "app-pw", Language: "es-MX", HTTPTimeout: 5 * time.Second,
		ImageGuard: netguard.Guard{AllowPrivate: true}}, &nettest.Tokens{}, nil) // the card's image is on loopback
	if err != nil {
		t.Fatal(err)
	}
	skyMsg := msg
	skyMsg.ImageURL = imgs.URL + "/mercury.png"
	exercise(t, "bluesky", bc, skyMsg)
	if v := sky.Violations(); len(v) != 0 {
		t.Errorf("Bluesky: %d violations: %q", len(v), v)
	}
	uploads := 0
	for _, r := range sky.Requests() {
		if r.NSID == "com.atproto.repo.uploadBlob" && r.Status == http.StatusOK {
			uploads++
		}
	}
	if uploads != 1 {
		t.Errorf("%d blob uploads, want the card's thumb", uploads)
	}
}

package bluesky_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/bluesky"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
)

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
	c, err := bluesky.New(bluesky.Config{AccountID: "sky", PDSURL: f.url, Handle: handle, AppPassword: appPassword,
		HTTPTimeout: 5 * time.Second, Now: f.clock.Now}, f.tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	link := "https://news.example/storm"
	if _, err := c.Publish(context.Background(), herald.Message{Text: "Storm " + link, Link: link, Title: "Storm",
		ImageURL: internal.URL + "/admin.png"}); err != nil {
		t.Fatal(err)
	}
	posts := f.sky.Posts()
	if len(posts) != 1 || posts[0].Embed == nil || posts[0].Embed.Thumb != nil || hits.Load() != 0 {
		t.Fatalf("posts %+v, %d image fetches: want a card without thumb and no fetch", posts, hits.Load())
	}
}

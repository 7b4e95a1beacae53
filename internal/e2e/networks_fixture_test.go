package e2e

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
)

// cardStory is a feed item with what a link card shows: a description and,
// when Image is set, a picture served by the feed's own server.
type cardStory struct {
	story
	Description string
	Image       bool
}

// cardFeed serves one RSS feed at /news.xml whose items carry descriptions
// and image enclosures, and the image at /img/lead.png.
type cardFeed struct {
	srv   *httptest.Server
	image []byte

	mu    sync.Mutex
	items []cardStory // oldest first

	imageGets atomic.Int64
}

func startCardFeed(t *testing.T) *cardFeed {
	t.Helper()
	f := &cardFeed{image: leadPNG(t)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /news.xml", f.serveFeed)
	mux.HandleFunc("GET /img/lead.png", func(w http.ResponseWriter, _ *http.Request) {
		f.imageGets.Add(1)
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(f.image)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *cardFeed) url() string      { return f.srv.URL + "/news.xml" }
func (f *cardFeed) imageURL() string { return f.srv.URL + "/img/lead.png" }

func (f *cardFeed) add(s cardStory) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, s)
}

// serveFeed renders the feed, newest item first.
func (f *cardFeed) serveFeed(w http.ResponseWriter, _ *http.Request) {
	esc := func(s string) string {
		var e bytes.Buffer
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>news</title>" +
		"<link>https://news.example/</link><description>test</description>\n")
	f.mu.Lock()
	for i := len(f.items) - 1; i >= 0; i-- {
		s := f.items[i]
		fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">%s</guid><pubDate>%s</pubDate><description>%s</description>",
			esc(s.Title), esc(s.Link), esc(s.GUID), s.Published.UTC().Format(time.RFC1123Z), esc(s.Description))
		if s.Image {
			fmt.Fprintf(&b, "<enclosure url=\"%s\" type=\"image/png\" length=\"%d\"/>", esc(f.imageURL()), len(f.image))
		}
		b.WriteString("</item>\n")
	}
	f.mu.Unlock()
	b.WriteString("</channel></rss>\n")
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// leadPNG is a small real PNG, so content sniffing calls it an image.
func leadPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 9))
	for x := range 16 {
		for y := range 9 {
			img.Set(x, y, color.RGBA{R: uint8(x * 16), G: uint8(y * 28), B: 0x80, A: 0xff})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fourNetworks are emulations of X (x_main), the Graph API (fb_page),
// a Mastodon server (masto) and a Bluesky PDS (sky) on loopback, hosted by
// the test so that they outlive the daemon.
type fourNetworks struct {
	x     *emulator.X
	xUser emulator.XUser
	graph *emulator.Graph
	page  emulator.GraphPage
	masto *emulator.Mastodon
	mAcct emulator.MastodonAccount
	sky   *emulator.Bluesky
	sAcct emulator.BlueskyAccount
	urls  map[string]string // account ID → base URL
}

func startFourNetworks(t *testing.T) *fourNetworks {
	t.Helper()
	n := &fourNetworks{
		xUser: emulator.XUser{ID: "5001", Username: "the_daily", ConsumerKey: "ck-e2e", ConsumerSecret: "cs-e2e",
			AccessToken: "x-main-at", AccessTokenSecret: "x-main-ats"},
		page:  emulator.GraphPage{ID: "7781", Name: "The Daily", AccessToken: "page-token-7781"},
		mAcct: emulator.MastodonAccount{ID: "109876", Username: "thedaily", Token: "masto-token-e2e"},
		sAcct: emulator.BlueskyAccount{DID: "did:plc:thedailye2e", Handle: "thedaily.bsky.example",
			AppPassword: "abcd-efgh-ijkl-mnop"},
		urls: map[string]string{},
	}
	var xs, gs, ms, bs *httptest.Server
	n.x, xs = emulator.StartX(emulator.XOptions{Users: []emulator.XUser{n.xUser}, PostLimit: -1, PostLimit24h: -1, ReadLimit: -1})
	n.graph, gs = emulator.StartGraph(emulator.GraphOptions{})
	n.graph.AddPage(n.page)
	n.masto, ms = emulator.StartMastodon(emulator.MastodonOptions{})
	n.masto.AddAccount(n.mAcct)
	n.sky, bs = emulator.StartBluesky(emulator.BlueskyOptions{})
	n.sky.AddAccount(n.sAcct)
	for id, s := range map[string]*httptest.Server{"x_main": xs, "fb_page": gs, "masto": ms, "sky": bs} {
		t.Cleanup(s.Close)
		n.urls[id] = s.URL
	}
	return n
}

// networkAccounts are the four account IDs, in the config's order.
var networkAccounts = []string{"x_main", "fb_page", "masto", "sky"}

// writeNetworksConfig writes a configuration with one feed targeting the
// four accounts, and returns its path.
func writeNetworksConfig(t *testing.T, dir, db string, feed *cardFeed, n *fourNetworks) string {
	t.Helper()
	var b strings.Builder
	// The articles' images (Bluesky's card thumbs) are served on loopback.
	fmt.Fprintf(&b, "database: {url: %q}\nhttp: {addr: \"127.0.0.1:0\"}\nlog: {format: json}\nfeed: {timeout: 2s, allow_private_networks: true}\n", "sqlite:"+db)
	b.WriteString("dispatch: {lease: 3s, timeout: 2s, shutdown_wait: 3s}\n")
	fmt.Fprintf(&b, "sources:\n  - {name: news, url: %q, interval: 100ms, targets: [%s]}\n", feed.url(), strings.Join(networkAccounts, ", "))
	b.WriteString("accounts:\n")
	fmt.Fprintf(&b, "  x_main: {network: twitter, api_base_url: %q, user_id: %q, consumer_key: %q, consumer_secret: %q, access_token: %q, access_token_secret: %q}\n",
		n.urls["x_main"], n.xUser.ID, n.xUser.ConsumerKey, n.xUser.ConsumerSecret, n.xUser.AccessToken, n.xUser.AccessTokenSecret)
	fmt.Fprintf(&b, "  fb_page: {network: facebook, graph_base_url: %q, page_id: %q, page_access_token: %q}\n",
		n.urls["fb_page"], n.page.ID, n.page.AccessToken)
	fmt.Fprintf(&b, "  masto: {network: mastodon, instance_url: %q, access_token: %q}\n", n.urls["masto"], n.mAcct.Token)
	fmt.Fprintf(&b, "  sky: {network: bluesky, pds_url: %q, handle: %q, app_password: %q}\n",
		n.urls["sky"], n.sAcct.Handle, n.sAcct.AppPassword)
	path := filepath.Join(dir, "herald.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// allPosted reports whether every network has at least n posts.
func (n *fourNetworks) allPosted(want int) bool {
	return len(n.x.Posts()) >= want && len(n.graph.Posts()) >= want &&
		len(n.masto.Posts()) >= want && len(n.sky.Posts()) >= want
}

// postCounts is how many posts each network has, for failure messages.
func (n *fourNetworks) postCounts() string {
	return fmt.Sprintf("x %d, facebook %d, mastodon %d, bluesky %d",
		len(n.x.Posts()), len(n.graph.Posts()), len(n.masto.Posts()), len(n.sky.Posts()))
}

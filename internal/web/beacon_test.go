package web

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// viewStories saves n stories of a push source, published an hour before
// now, and returns their articles.
func (f *dashFixture) viewStories(n int) []herald.Article {
	f.t.Helper()
	src, err := f.store.PushSource(f.ctx, "site")
	must(f.t, err)
	items := make([]herald.ArticleInput, n)
	for i := range items {
		items[i] = herald.ArticleInput{URL: fmt.Sprintf("https://news.example/viewed/%02d", i),
			Title: fmt.Sprintf("Viewed story %02d", i), PublishedAt: f.clock.Now().Add(-time.Hour)}
	}
	rs, err := f.store.SaveArticles(f.ctx, src.ID, items, f.clock.Now())
	must(f.t, err)
	out := make([]herald.Article, n)
	for i, r := range rs {
		out[i] = r.Article
	}
	return out
}

// hit sends one beacon request from client ip (through the loopback proxy
// header) with User-Agent ua.
func (f *dashFixture) hit(path, ip, ua string) {
	f.t.Helper()
	resp, body := f.get(path, func(r *http.Request) {
		r.Header.Set("X-Forwarded-For", ip)
		r.Header.Set("User-Agent", ua)
	})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/gif" || body != string(pixel) {
		f.t.Fatalf("GET %s: %d %q %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if len(resp.Cookies()) > 0 {
		f.t.Fatalf("GET %s set cookies %v", path, resp.Cookies())
	}
}

const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"

// TestBeaconCountsOncePerNetworkAndDay sends 1,000 beacon hits from 50
// client networks (40 IPv4 /24s, 10 IPv6 /64s, several hosts in each) over
// 20 stories, plus bots, and checks each story's views against the distinct
// (network, story) pairs, the next day's views, and that no address was
// stored.
func TestBeaconCountsOncePerNetworkAndDay(t *testing.T) {
	f := newDashFixture(t, nil)
	stories := f.viewStories(20)
	rng := rand.New(rand.NewPCG(18, 5))
	ipOf := func(network, host int) string {
		if network < 40 {
			return fmt.Sprintf("10.%d.%d.%d", network/10, 100+network, 1+host)
		}
		return fmt.Sprintf("2001:db8:%x:%x::%x", network, network*3, 1+host)
	}
	type pair struct{ network, story int }
	seen := map[pair]bool{}
	want := make([]int64, len(stories))
	var ips []string
	for i := range 1000 {
		// Earlier stories are read more: story s with weight 20-s.
		s := 0
		for r := rng.IntN(210); r >= 20-s; s++ {
			r -= 20 - s
		}
		nw, host := rng.IntN(50), rng.IntN(5)
		ip := ipOf(nw, host)
		ips = append(ips, ip)
		path := fmt.Sprintf("/v/%d", stories[s].ID)
		if i%2 == 1 {
			path = "/v?url=" + stories[s].URL + "%3Futm_source%3Dx"
		}
		f.hit(path, ip, browserUA)
		if p := (pair{nw, s}); !seen[p] {
			seen[p] = true
			want[s]++
		}
	}
	// Bots and unknown articles count nothing.
	f.hit(fmt.Sprintf("/v/%d", stories[19].ID), "10.9.9.9", "Mozilla/5.0 (compatible; Googlebot/2.1)")
	f.hit(fmt.Sprintf("/v/%d", stories[19].ID), "10.9.9.9", "")
	f.hit("/v/99999", "10.9.9.9", browserUA)
	f.hit("/v/x", "10.9.9.9", browserUA)
	f.hit("/v?url=https://elsewhere.example/", "10.9.9.9", browserUA)

	views := func() map[int64]int64 {
		rows, err := f.store.Report(f.ctx, herald.ReportQuery{By: "views", Since: f.clock.Now().Add(-48 * time.Hour),
			Until: f.clock.Now().Add(48 * time.Hour)})
		must(t, err)
		out := map[int64]int64{}
		for _, r := range rows {
			out[r.ArticleID] = r.Views
		}
		return out
	}
	got := views()
	var total int64
	for s, a := range stories {
		total += want[s]
		if got[a.ID] != want[s] {
			t.Errorf("story %d: %d views, want %d", s, got[a.ID], want[s])
		}
	}
	t.Logf("1000 hits from 50 networks over 20 stories: %d views counted", total)
	if len(got) != len(stories) {
		t.Errorf("%d stories have views, want %d", len(got), len(stories))
	}

	// The next day, a network counts again; the same hits do not.
	f.clock.Advance(24 * time.Hour)
	f.hit(fmt.Sprintf("/v/%d", stories[0].ID), ipOf(0, 0), browserUA)
	f.hit(fmt.Sprintf("/v/%d", stories[0].ID), ipOf(0, 1), browserUA)
	if n := views()[stories[0].ID]; n != want[0]+1 {
		t.Errorf("story 0 after a view the next day: %d, want %d", n, want[0]+1)
	}

	// No address reaches the database (nor its journal) as text.
	files, _ := filepath.Glob(f.store.Path() + "*")
	if len(files) == 0 {
		t.Fatal("no database file")
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		must(t, err)
		for _, ip := range ips {
			if bytes.Contains(b, []byte(ip)) {
				t.Fatalf("%s holds the address %s", filepath.Base(file), ip)
			}
		}
	}
}

// seedViews gives stories[i] 2*(len(stories)-i) views through the beacon,
// one network each.
func (f *dashFixture) seedViews(stories []herald.Article) {
	f.t.Helper()
	for i, a := range stories {
		for k := range 2 * (len(stories) - i) {
			f.hit(fmt.Sprintf("/v/%d", a.ID), fmt.Sprintf("192.0.%d.7", k), browserUA)
		}
	}
}

// TestMostViewedBoxAndDashboard checks the ranking by views on
// /api/popular, the widget's heading and the dashboard's Views column.
func TestMostViewedBoxAndDashboard(t *testing.T) {
	f := newDashFixture(t, nil)
	stories := f.viewStories(3)
	f.seedViews(stories)
	_, body := f.get("/api/popular?by=views", nil)
	rows := decodeRows(t, body)
	if len(rows) != 3 || rows[0].ArticleID != stories[0].ID || rows[0].Views != 6 || rows[2].Views != 2 {
		t.Errorf("/api/popular?by=views: %s", body)
	}
	_, body = f.get("/widget/popular?by=views", nil)
	if !strings.Contains(body, `class="hrld-pop__h">Most viewed<`) ||
		strings.Index(body, "Viewed story 00") > strings.Index(body, "Viewed story 01") {
		t.Errorf("widget by views:\n%s", body)
	}
	_, body = f.get("/?by=views", nil)
	if !strings.Contains(body, `<th class="num">Views</th>`) || !strings.Contains(body, "Viewed story 00") {
		t.Errorf("dashboard by views lacks the views:\n%s", body)
	}
	_, body = f.get("/api/popular?by=nonsense", nil)
	if !strings.Contains(body, "views") {
		t.Errorf("a bad ranking does not offer views: %s", body)
	}
}

// TestChromiumMostViewed embeds a "Most viewed" box in an article page of
// another origin, as a newsroom's site would: the browser fills it in view
// order and popular.js counts the page's view through the beacon.
func TestChromiumMostViewed(t *testing.T) {
	bin := requireChromium(t)
	t.Parallel()
	f := newDashFixture(t, nil)
	stories := f.viewStories(3)
	f.seedViews(stories)
	page := stories[2]
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>News</title>
<link rel="canonical" href="%s"></head><body>
<aside id="box" data-herald-popular data-by="views" data-limit="3"><p>Loading…</p></aside>
<script src="%s/widget/popular.js"></script></body></html>`, page.URL, f.ts.URL)
	}))
	t.Cleanup(site.Close)
	// HeadlessChrome is a bot to the beacon: the page is read as a browser.
	dom := chromium(t, bin, "--user-agent="+browserUA, "--virtual-time-budget=10000", "--dump-dom", site.URL+"/")
	box := dom[strings.Index(dom, `id="box"`):]
	i0, i1, i2 := strings.Index(box, "Viewed story 00"), strings.Index(box, "Viewed story 01"), strings.Index(box, "Viewed story 02")
	if !strings.Contains(box, ">Most viewed<") || i0 < 0 || i1 < i0 || i2 < i1 || strings.Contains(box, "Loading…") {
		t.Errorf("the Most viewed box was not filled in view order:\n%s", dom)
	}
	rows, err := f.store.Report(f.ctx, herald.ReportQuery{By: "views", Since: f.clock.Now().Add(-24 * time.Hour), Until: f.clock.Now()})
	must(t, err)
	for _, r := range rows {
		if r.ArticleID == page.ID && r.Views != 3 {
			t.Errorf("the page's views after the browser read it: %d, want 3", r.Views)
		}
	}
}

package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

func TestShortLinkCountsHumans(t *testing.T) {
	f := newDashFixture(t, nil)
	j := f.seed.jobs[f.seed.top][0]
	want := "https://news.example/2026/03/01/hurricane?" + utmCampaign
	for i := range 3 {
		// Three readers, on three networks.
		reader := func(r *http.Request) { r.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.%d.7", 100+i)) }
		resp, _ := f.get("/s/"+j.ShortCode, reader)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
			t.Fatalf("click %d: %d %q", i, resp.StatusCode, resp.Header.Get("Location"))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "private, no-store" {
			t.Errorf("Cache-Control %q: every click must reach Herald", cc)
		}
	}
	if n := f.clicks(j.ID); n != 3 {
		t.Errorf("%d clicks counted, want 3", n)
	}
	// The clicks rank the story.
	_, body := f.get("/api/popular?by=clicks&limit=1", nil)
	if rows := decodeRows(t, body); len(rows) != 1 || rows[0].ArticleID != f.seed.top || rows[0].Clicks != 3 {
		t.Errorf("by clicks: %s", body)
	}
}

func TestShortLinkBotsNotCounted(t *testing.T) {
	f := newDashFixture(t, nil)
	j := f.seed.jobs[f.seed.second][1]
	want := "https://news.example/2026/03/01/rates?" + utmCampaign
	for _, ua := range []string{
		"Twitterbot/1.0",
		"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
		"WhatsApp/2.23.20.0",
		"curl/8.5.0",
		"",
	} {
		resp, _ := f.get("/s/"+j.ShortCode, func(r *http.Request) { r.Header.Set("User-Agent", ua) })
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
			t.Errorf("%q: %d %q", ua, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, _ := f.do(http.MethodHead, "/s/"+j.ShortCode, nil, nil)
	if resp.StatusCode != http.StatusFound {
		t.Errorf("HEAD: %d", resp.StatusCode)
	}
	resp, _ = f.get("/s/"+j.ShortCode, func(r *http.Request) { r.Header.Set("Sec-Purpose", "prefetch") })
	if resp.StatusCode != http.StatusFound {
		t.Errorf("prefetch: %d", resp.StatusCode)
	}
	if n := f.clicks(j.ID); n != 0 {
		t.Errorf("%d bot clicks counted", n)
	}
	f.get("/s/"+j.ShortCode, nil)
	if n := f.clicks(j.ID); n != 1 {
		t.Errorf("after one human click: %d", n)
	}
}

// finderStore is a store that can look short links up without counting.
type finderStore struct {
	herald.Store
	found int
}

func (s *finderStore) FindJobByShortCode(ctx context.Context, code string) (herald.Job, error) {
	s.found++
	jobs, err := s.ListJobs(ctx, herald.JobFilter{})
	if err != nil {
		return herald.Job{}, err
	}
	for _, j := range jobs {
		if j.ShortCode == code {
			return j, nil
		}
	}
	return herald.Job{}, herald.ErrNotFound
}

func TestShortLinkFinder(t *testing.T) {
	st := &finderStore{}
	f := newDashFixture(t, func(o *Options, _ *DashboardOptions) {
		st.Store = o.Store
		o.Store = st
	})
	j := f.seed.jobs[f.seed.xss][0]
	resp, _ := f.get("/s/"+j.ShortCode, func(r *http.Request) { r.Header.Set("User-Agent", "Twitterbot/1.0") })
	if resp.StatusCode != http.StatusFound || st.found != 1 || f.clicks(j.ID) != 0 {
		t.Errorf("bot via finder: %d, %d lookups, %d clicks", resp.StatusCode, st.found, f.clicks(j.ID))
	}
	resp, _ = f.get("/s/nosuchcode", func(r *http.Request) { r.Header.Set("User-Agent", "Twitterbot/1.0") })
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("bot, unknown code: %d", resp.StatusCode)
	}
}

func TestShortLinkUnknown(t *testing.T) {
	f := newDashFixture(t, func(_ *Options, d *DashboardOptions) { d.ShortlinkTarget = nil })
	for _, path := range []string{"/s/nosuchcode", "/s/" + "a%27%3Cb", "/s/" + strings.Repeat("a", 40)} {
		resp, body := f.get(path, nil)
		if resp.StatusCode != http.StatusNotFound || missing(body, "Link not found") != "" {
			t.Errorf("%s: %d\n%s", path, resp.StatusCode, body)
		}
	}
	resp, _ := f.get("/s/nosuchcode", func(r *http.Request) { r.Header.Set("User-Agent", "Twitterbot/1.0") })
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("bot, unknown code: %d", resp.StatusCode)
	}
	// Without a target function the link leads to the article itself.
	j := f.seed.jobs[f.seed.top][1]
	resp, _ = f.get("/s/"+j.ShortCode, nil)
	if resp.Header.Get("Location") != "https://news.example/2026/03/01/hurricane" {
		t.Errorf("default target: %q", resp.Header.Get("Location"))
	}
}

func TestShortLinksOff(t *testing.T) {
	f := newDashFixture(t, func(_ *Options, d *DashboardOptions) { d.Shortlinks = false })
	j := f.seed.jobs[f.seed.top][0]
	if resp, _ := f.get("/s/"+j.ShortCode, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("shortlinks off: %d", resp.StatusCode)
	}
	if n := f.clicks(j.ID); n != 0 {
		t.Errorf("%d clicks", n)
	}
}

func TestIsBot(t *testing.T) {
	for ua, want := range map[string]bool{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.50": false,
		"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36 [FBAN/EMA;FBLC/en_US;FBAV/400.0]":                  false,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36":                        false,
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15":                     false,
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)":                                                                true,
		"Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)":                                                    true,
		"TelegramBot (like TwitterBot)": true,
		"Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0 Safari/537.36": true,
		"Go-http-client/1.1":     true,
		"python-requests/2.32.3": true,
		"Mastodon/4.2.10 (http.rb/5.1.1; +https://mastodon.social/)":                            true,
		"LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)": true,
	} {
		r, _ := http.NewRequest(http.MethodGet, "/s/x", nil)
		r.Header.Set("User-Agent", ua)
		if got := isBot(r); got != want {
			t.Errorf("%q: %v, want %v", ua, got, want)
		}
	}
}

// TestShortLinkClickOncePerNetworkAndDay: 60 clicks from one address, or
// from one /24 or /64, are one click in the ranking that day.
func TestShortLinkClickOncePerNetworkAndDay(t *testing.T) {
	f := newDashFixture(t, nil)
	j := f.seed.jobs[f.seed.top][0]
	from := func(ip string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("X-Forwarded-For", ip) }
	}
	for i := range 60 {
		for _, ip := range []string{"203.0.113.5", fmt.Sprintf("203.0.113.%d", i+10), fmt.Sprintf("2001:db8:1:2::%x", i+1)} {
			if resp, _ := f.get("/s/"+j.ShortCode, from(ip)); resp.StatusCode != http.StatusFound {
				t.Fatalf("click %d from %s: %d", i, ip, resp.StatusCode)
			}
		}
	}
	if n := f.clicks(j.ID); n != 2 {
		t.Errorf("%d clicks counted, want 2 (one IPv4 /24, one IPv6 /64)", n)
	}
	f.get("/s/"+j.ShortCode, from("203.0.114.5"))
	f.clock.Advance(24 * time.Hour)
	f.get("/s/"+j.ShortCode, from("203.0.113.5"))
	if n := f.clicks(j.ID); n != 4 {
		t.Errorf("%d clicks counted, want 4 (another /24, then the next day)", n)
	}
}

func TestClickNetwork(t *testing.T) {
	testkit.Table(t, "clickNetwork", clickNetwork, map[string]string{
		"203.0.113.5":          "203.0.113.0/24",
		"::ffff:203.0.113.9":   "203.0.113.0/24",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::1":      "2001:db8:1:2::/64",
		"not-an-ip":            "not-an-ip",
	})
}

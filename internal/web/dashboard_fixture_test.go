package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
)

// Secrets planted in the configuration and in stored errors: no page may
// show them.
const (
	adminToken   = "adm-0123456789abcdef-TOKEN"
	feedKey      = "feedkey-SECRET-77"
	graphToken   = "EAAGraphSECRET99"
	xssTitle     = `<script>alert("xss")</script> Election night & "results"`
	topTitle     = "Hurricane reaches the coast"
	secondTitle  = "Central bank cuts rates"
	oldTitle     = "Big story from last week"
	utmCampaign  = "utm_source=x&utm_medium=social"
	dashTestAddr = "127.0.0.1:0"
)

// dashFixture is a server with the dashboard routes over a seeded store.
type dashFixture struct {
	t     *testing.T
	ctx   context.Context
	store *sqlite.DB
	clock *testkit.Clock
	srv   *Server
	ts    *httptest.Server
	seed  seeded
	// nonce and csrf are a browser's form cookie and token (formToken).
	nonce, csrf string
}

// seeded names what seedStore created.
type seeded struct {
	top, second, xss, old int64 // article IDs
	jobs                  map[int64][]herald.Job
}

func newDashFixture(t *testing.T, mutate func(*Options, *DashboardOptions)) *dashFixture {
	t.Helper()
	f := &dashFixture{t: t, ctx: context.Background(), store: openStore(t),
		clock: testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
	f.seed = seedStore(t, f.store, f.clock.Now())
	opts := Options{Addr: dashTestAddr, PublicURL: "http://127.0.0.1:8080", Store: f.store, Now: f.clock.Now,
		Webhook: WebhookOptions{Secret: testSecret}}
	dopts := DashboardOptions{Shortlinks: true, ShortlinkTarget: func(j herald.Job) string {
		return j.Article.URL + "?" + utmCampaign
	}}
	if mutate != nil {
		mutate(&opts, &dopts)
	}
	f.srv = New(opts, nil)
	if err := f.srv.EnableDashboard(dopts); err != nil {
		t.Fatal(err)
	}
	f.ts = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.ts.Close)
	return f
}

// do sends a request; edit may change it. Redirects are not followed.
func (f *dashFixture) do(method, path string, body io.Reader, edit func(*http.Request)) (*http.Response, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
	if edit != nil {
		edit(req)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, string(b)
}

func (f *dashFixture) get(path string, edit func(*http.Request)) (*http.Response, string) {
	f.t.Helper()
	return f.do(http.MethodGet, path, nil, edit)
}

// clicks returns a job's short-link clicks.
func (f *dashFixture) clicks(jobID int64) int64 {
	f.t.Helper()
	jobs, err := f.store.ListJobs(f.ctx, herald.JobFilter{Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, j := range jobs {
		if j.ID == jobID {
			return j.Clicks
		}
	}
	f.t.Fatalf("job %d not listed", jobID)
	return 0
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// seedStore records four stories posted to x_main and fb_page with known
// engagement (top story first by shares, score and reactions), one failed
// job whose error holds a Graph token, a failing feed whose error holds its
// key, a paused account and a token about to expire.
//
//	story   published  X rt+q  FB shares  shares
//	top     now-5h     40+5    30         75
//	second  now-4h     20+0    10         30
//	xss     now-3h      5+0     0          5
//	old     now-40h   900+0     0        900 (outside 24h)
func seedStore(t testing.TB, db *sqlite.DB, now time.Time) seeded {
	t.Helper()
	ctx := context.Background()
	src, err := db.GetSource(ctx, "mexico")
	must(t, err)
	item := func(url, title string, ago time.Duration) herald.ArticleInput {
		return herald.ArticleInput{URL: url, Title: title, PublishedAt: now.Add(-ago), Announce: true,
			Targets: []string{"x_main", "fb_page"}}
	}
	res, err := db.SaveArticles(ctx, src.ID, []herald.ArticleInput{
		item("https://news.example/2026/03/01/hurricane", topTitle, 5*time.Hour),
		item("https://news.example/2026/03/01/rates", secondTitle, 4*time.Hour),
		item("https://news.example/2026/03/01/election", xssTitle, 3*time.Hour),
		item("https://news.example/2026/02/27/big", oldTitle, 40*time.Hour),
	}, now.Add(-6*time.Hour))
	must(t, err)
	s := seeded{top: res[0].Article.ID, second: res[1].Article.ID, xss: res[2].Article.ID, old: res[3].Article.ID,
		jobs: map[int64][]herald.Job{}}

	sent := now.Add(-5 * time.Hour)
	claimed, err := db.ClaimJobs(ctx, herald.ClaimOptions{Owner: "seed", Now: sent, Lease: time.Minute,
		Accounts: map[string]time.Duration{"x_main": 0, "fb_page": 0}, PerAccount: 100})
	must(t, err)
	var failed herald.Job
	for _, j := range claimed {
		must(t, db.StartAttempt(ctx, j.ID, "seed", sent, time.Minute))
		o := herald.Outcome{State: herald.JobSent, RemoteID: "r" + j.ShortCode, SentText: "text", SentAt: sent, Attempted: true}
		if j.ArticleID == s.old && j.Account == "fb_page" {
			failed = j
			o = herald.Outcome{State: herald.JobFailed, ErrorKind: herald.ErrPermanent, Attempted: true,
				Error: "Post https://graph.example/v19.0/104/feed?access_token=" + graphToken + ": (#200) permission denied"}
		}
		must(t, db.FinishJob(ctx, j.ID, "seed", o, sent))
		s.jobs[j.ArticleID] = append(s.jobs[j.ArticleID], j)
	}
	if failed.ID == 0 || len(claimed) != 8 {
		t.Fatalf("seed: claimed %d jobs", len(claimed))
	}
	e := func(rt, q, likes, replies, shares, reactions, comments int64) herald.Engagement {
		return herald.Engagement{Retweets: rt, Quotes: q, Likes: likes, Replies: replies, Shares: shares,
			Reactions: reactions, Comments: comments}
	}
	figures := map[int64][2]herald.Engagement{ // article → final x_main, fb_page readings
		s.top:    {e(40, 5, 300, 20, 0, 0, 0), e(0, 0, 0, 0, 30, 200, 50)},
		s.second: {e(20, 0, 50, 4, 0, 0, 0), e(0, 0, 0, 0, 10, 40, 6)},
		s.xss:    {e(5, 0, 9, 1, 0, 0, 0), e(0, 0, 0, 0, 0, 3, 0)},
		s.old:    {e(900, 0, 2000, 80, 0, 0, 0), {}},
	}
	var snaps []herald.Snapshot
	for article, jobs := range s.jobs {
		for _, j := range jobs {
			if j.ID == failed.ID {
				continue
			}
			final := figures[article][0]
			if j.Account == "fb_page" {
				final = figures[article][1]
			}
			// Three readings growing to the final figures: a curve to draw.
			for i, frac := range []int64{1, 2, 4} {
				at := now.Add(time.Duration(i-3) * time.Hour)
				snaps = append(snaps, herald.Snapshot{JobID: j.ID, At: at, Engagement: scale(final, frac, 4)})
			}
		}
	}
	must(t, db.SaveSnapshots(ctx, snaps))

	// A failing feed whose error quotes its URL with the key.
	srcs, err := db.ClaimSources(ctx, "seed", now, time.Minute, 10)
	must(t, err)
	for _, sc := range srcs {
		must(t, db.SavePoll(ctx, "seed", herald.PollResult{SourceID: sc.ID, Status: 0, Failures: 3,
			Error:    `Get "https://news.example/rss/mexico.xml?key=` + feedKey + `": dial tcp: connection refused`,
			PolledAt: now.Add(-10 * time.Minute), NextPollAt: now.Add(5 * time.Minute)}))
	}
	must(t, db.PauseAccount(ctx, "fb_page", "auth: token expired"))
	must(t, db.SetTokenExpiry(ctx, "fb_page", now.Add(3*24*time.Hour)))
	return s
}

// scale returns e × num / den.
func scale(e herald.Engagement, num, den int64) herald.Engagement {
	f := func(n int64) int64 { return n * num / den }
	return herald.Engagement{Retweets: f(e.Retweets), Quotes: f(e.Quotes), Likes: f(e.Likes), Replies: f(e.Replies),
		Shares: f(e.Shares), Reactions: f(e.Reactions), Comments: f(e.Comments)}
}

// missing returns the first of want not in s ("" when all are).
func missing(s string, want ...string) string {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

func httptestServer(t *testing.T, srv *Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

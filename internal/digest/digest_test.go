package digest_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/bluesky"
	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/digest"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/facebook"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/mastodon"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit/nettest"
	"github.com/heraldhq/herald/internal/twitter"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// world is a SQLite store, the four emulations, Herald's real publishers
// and a dispatcher over them, on an injected clock.
type world struct {
	t     *testing.T
	ctx   context.Context
	clock *clock
	store *sqlite.DB
	x     *emulator.X
	xUser emulator.XUser
	masto *emulator.Mastodon
	sky   *emulator.Bluesky
	graph *emulator.Graph
	disp  *dispatch.Dispatcher
	src   int64
}

const (
	pageID    = "5551"
	pageToken = "page-token-5551"
	mastoTok  = "masto-token"
	skyDID    = "did:plc:dailynews"
	skyHandle = "daily.bsky.social"
	skyPass   = "app-pass-1234"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, ctx: t.Context(), clock: &clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}}
	db, err := sqlite.Open(w.ctx, filepath.Join(t.TempDir(), "herald.db"))
	must(t, err)
	t.Cleanup(func() { db.Close() })
	must(t, db.Migrate(w.ctx))
	w.store = db
	w.xUser = emulator.XUser{ID: "3001", Username: "daily", ConsumerKey: "ck", ConsumerSecret: "cs",
		AccessToken: "at", AccessTokenSecret: "ats"}
	var xURL string
	w.x, xURL = nettest.StartX(t, w.xUser)
	xc, err := twitter.New(twitter.Config{AccountID: "x_main", BaseURL: xURL, UserID: w.xUser.ID, ConsumerKey: "ck",
		ConsumerSecret: "cs", AccessToken: "at", AccessTokenSecret: "ats", HTTPTimeout: 5 * time.Second}, db, nil)
	must(t, err)
	var srv *httptest.Server
	w.masto, srv = emulator.StartMastodon(emulator.MastodonOptions{})
	t.Cleanup(srv.Close)
	w.masto.AddAccount(emulator.MastodonAccount{ID: "777", Username: "dailynews", Token: mastoTok})
	mc, err := mastodon.New(mastodon.Config{AccountID: "m_one", InstanceURL: srv.URL, AccessToken: mastoTok,
		HTTPTimeout: 5 * time.Second}, nil)
	must(t, err)
	w.sky, srv = emulator.StartBluesky(emulator.BlueskyOptions{})
	t.Cleanup(srv.Close)
	w.sky.AddAccount(emulator.BlueskyAccount{DID: skyDID, Handle: skyHandle, AppPassword: skyPass})
	bc, err := bluesky.New(bluesky.Config{AccountID: "b_one", PDSURL: srv.URL, Handle: skyHandle, AppPassword: skyPass,
		HTTPTimeout: 5 * time.Second}, db, nil)
	must(t, err)
	var gURL string
	w.graph, gURL = nettest.StartGraph(t, emulator.GraphPage{ID: pageID, Name: "The Daily", AccessToken: pageToken})
	fc, err := facebook.New(facebook.Config{AccountID: "fb_page", PageID: pageID, PageAccessToken: pageToken,
		GraphBaseURL: gURL, HTTPTimeout: 5 * time.Second}, nil)
	must(t, err)

	var accts []dispatch.Account
	var rows []herald.Account
	for _, a := range []struct {
		id  string
		n   herald.Network
		pub herald.Publisher
	}{{"x_main", herald.Twitter, xc}, {"m_one", herald.Mastodon, mc}, {"b_one", herald.Bluesky, bc}, {"fb_page", herald.Facebook, fc}} {
		c, err := compose.New(compose.Options{Network: a.n})
		must(t, err)
		accts = append(accts, dispatch.Account{ID: a.id, Network: a.n, Publisher: a.pub,
			Compose: func(art herald.Article, j herald.Job) (herald.Message, error) {
				return c.Compose(art, compose.FromJob(&j, ""))
			}})
		rows = append(rows, herald.Account{ID: a.id, Network: a.n})
	}
	must(t, db.SyncAccounts(w.ctx, rows))
	w.disp, err = dispatch.New(db, accts, dispatch.Options{Now: w.clock.Now, Owner: "test"}, nil)
	must(t, err)
	src, err := db.PushSource(w.ctx, "site")
	must(t, err)
	w.src = src.ID
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// stories publishes n stories named prefix0.. at the clock's time, story i
// viewed by n-i+extra networks, and returns their IDs.
func (w *world) stories(prefix string, n int) []int64 {
	w.t.Helper()
	items := make([]herald.ArticleInput, n)
	for i := range items {
		items[i] = herald.ArticleInput{URL: fmt.Sprintf("https://news.example/%s%d", prefix, i),
			Title: fmt.Sprintf("Story %s%d", prefix, i), PublishedAt: w.clock.Now()}
	}
	rs, err := w.store.SaveArticles(w.ctx, w.src, items, w.clock.Now())
	must(w.t, err)
	ids := make([]int64, n)
	for i, r := range rs {
		ids[i] = r.Article.ID
		w.view(r.Article.ID, 2*(n-i))
	}
	return ids
}

// view adds n views of an article today.
func (w *world) view(id int64, n int) {
	w.t.Helper()
	day := herald.ViewDay(w.clock.Now())
	for i := range n {
		_, err := w.store.RecordViews(w.ctx, []herald.View{{ArticleID: id, Day: day,
			Visitor: []byte(fmt.Sprintf("%d-%d-%016d", id, i, day))}})
		must(w.t, err)
	}
}

// digests returns the four accounts' digests: three stories by views, over
// 48 hours, at 19:00 in each account's zone.
func digests(t *testing.T) []*digest.Digest {
	madrid, err := time.LoadLocation("Europe/Madrid")
	must(t, err)
	var out []*digest.Digest
	for _, c := range []digest.Config{
		{Account: "x_main", Network: herald.Twitter},
		{Account: "m_one", Network: herald.Mastodon, Location: madrid},
		{Account: "b_one", Network: herald.Bluesky},
		{Account: "fb_page", Network: herald.Facebook},
	} {
		c.Schedule, c.Count, c.By, c.Since, c.Title = "0 19 * * *", 3, "views", 48*time.Hour, "Most viewed today"
		d, err := digest.New(c)
		must(t, err)
		out = append(out, d)
	}
	return out
}

// settle runs two schedulers (two instances sharing the store) and the
// dispatcher until nothing more happens.
func (w *world) settle(a, b *digest.Scheduler) {
	w.t.Helper()
	for range 50 {
		n := a.Tick(w.ctx) + b.Tick(w.ctx)
		sent, err := w.disp.RunOnce(w.ctx)
		must(w.t, err)
		if n == 0 && sent == 0 {
			return
		}
	}
	w.t.Fatal("the digests did not settle in 50 rounds")
}

// thread checks one account's posts of a day: texts in order, each
// answering the one before.
func (w *world) thread(account string, texts []string, replyTo []string, ids []string) {
	w.t.Helper()
	if len(texts) != len(replyTo) {
		w.t.Fatalf("%s: %d posts, %d replies", account, len(texts), len(replyTo))
	}
	for i := range texts {
		want := ""
		if i > 0 {
			want = ids[i-1]
		}
		if replyTo[i] != want {
			w.t.Errorf("%s: post %d answers %q, want %q", account, i, replyTo[i], want)
		}
	}
}

func lineOf(title, url string, rank int) string { return fmt.Sprintf("%d. %s %s", rank, title, url) }

// TestDigestTwoDays posts the digests of two simulated days on the four
// emulations: one digest per account and day, a thread on X, Mastodon and
// Bluesky whose every part answers the one before (Bluesky with the
// thread's root), one post with the list on Facebook, the most viewed
// stories in order, and none of the first day's on the second.
func TestDigestTwoDays(t *testing.T) {
	w := newWorld(t)
	inst1 := digest.NewScheduler(w.store, digests(t), digest.SchedulerOptions{Now: w.clock.Now}, nil)
	inst2 := digest.NewScheduler(w.store, digests(t), digest.SchedulerOptions{Now: w.clock.Now}, nil)

	day1 := w.stories("a", 5) // a0 > a1 > ... by views
	w.clock.Set(time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC))
	w.settle(inst1, inst2)
	if n := len(w.x.Posts()) + len(w.masto.Posts()) + len(w.sky.Posts()) + len(w.graph.PostsByPage(pageID)); n != 0 {
		t.Fatalf("%d posts before the digests are due", n)
	}
	w.clock.Set(time.Date(2026, 3, 2, 19, 0, 30, 0, time.UTC)) // 20:00 in Madrid: both due
	w.settle(inst1, inst2)
	w.clock.Set(time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC))
	w.settle(inst1, inst2) // nothing more that day

	// Day 2: new stories; a0 is viewed most of all but was in yesterday's digest.
	w.clock.Set(time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC))
	w.stories("b", 4)
	w.view(day1[0], 30)
	w.clock.Set(time.Date(2026, 3, 3, 19, 5, 0, 0, time.UTC))
	w.settle(inst1, inst2)

	// Views: a0 40, a1 8, a2 6, a3 4, a4 2; b0 8, b1 6, b2 4, b3 2. Day 2
	// leaves out a0, a1 and a2; b2 goes before a3, the newer story.
	want1 := []string{"Story a0", "Story a1", "Story a2"}
	want2 := []string{"Story b0", "Story b1", "Story b2"}

	// X
	xp := w.x.PostsByUser(w.xUser.ID)
	var texts, replies, ids []string
	for _, p := range xp {
		texts, replies, ids = append(texts, p.Text), append(replies, p.InReplyTo), append(ids, p.ID)
	}
	checkDays(t, "x_main", texts, want1, want2)
	w.thread("x_main", texts[:3], replies[:3], ids[:3])
	w.thread("x_main", texts[3:], replies[3:], ids[3:])
	// Mastodon
	texts, replies, ids = nil, nil, nil
	for _, p := range w.masto.Posts() {
		texts, replies, ids = append(texts, p.Text), append(replies, p.InReplyToID), append(ids, p.ID)
	}
	checkDays(t, "m_one", texts, want1, want2)
	w.thread("m_one", texts[:3], replies[:3], ids[:3])
	w.thread("m_one", texts[3:], replies[3:], ids[3:])
	// Bluesky: parent the post before, root the first.
	texts, replies, ids = nil, nil, nil
	sp := w.sky.Posts()
	for i, p := range sp {
		texts, replies, ids = append(texts, p.Text), append(replies, p.ReplyParent), append(ids, p.URI)
		if first := sp[i-i%3]; i%3 != 0 && p.ReplyRoot != first.URI {
			t.Errorf("b_one: post %d's root %q, want %q", i, p.ReplyRoot, first.URI)
		}
	}
	checkDays(t, "b_one", texts, want1, want2)
	w.thread("b_one", texts[:3], replies[:3], ids[:3])
	w.thread("b_one", texts[3:], replies[3:], ids[3:])
	// Facebook: one post a day with the list.
	fp := w.graph.PostsByPage(pageID)
	if len(fp) != 2 {
		t.Fatalf("fb_page: %d posts, want 2", len(fp))
	}
	for i, p := range fp {
		lines := strings.Split(p.Message, "\n")
		if lines[0] != "Most viewed today" || len(lines) != 5 {
			t.Errorf("fb_page post %d: %q", i, p.Message)
		}
	}
	for i, want := range [][]string{want1, want2} {
		lines := strings.Split(fp[i].Message, "\n")
		for k, title := range want {
			url := "https://news.example/" + strings.TrimPrefix(title, "Story ")
			if k+2 >= len(lines) || lines[k+2] != lineOf(title, url, k+1) {
				t.Errorf("fb_page day %d: %q, want %s at %d", i+1, fp[i].Message, title, k+1)
			}
		}
	}
}

// checkDays checks six posts: the first day's stories want1 in order, then
// the second day's want2, each digest's first part opening with the title.
func checkDays(t *testing.T, account string, texts []string, want1, want2 []string) {
	t.Helper()
	if len(texts) != 6 {
		t.Fatalf("%s: %d posts, want 6:\n%s", account, len(texts), strings.Join(texts, "\n--\n"))
	}
	if !strings.HasPrefix(texts[0], "Most viewed today\n\n1. ") || !strings.HasPrefix(texts[3], "Most viewed today\n\n1. ") {
		t.Errorf("%s: the digests do not open with the title:\n%s", account, strings.Join(texts, "\n--\n"))
	}
	for i, title := range append(want1, want2...) {
		url := "https://news.example/" + strings.TrimPrefix(title, "Story ")
		if !strings.HasSuffix(texts[i], lineOf(title, url, i%3+1)) {
			t.Errorf("%s: part %d of day %d = %q, want %s", account, i%3, i/3+1, texts[i], title)
		}
	}
}

// TestDigestWaitsForEachPart checks that a thread's next part is created
// only once the part before was sent, and that a restarted scheduler (a
// new one over the same store) carries the digest on where it was.
func TestDigestWaitsForEachPart(t *testing.T) {
	w := newWorld(t)
	w.stories("a", 4)
	w.clock.Set(time.Date(2026, 3, 2, 19, 1, 0, 0, time.UTC))
	s := digest.NewScheduler(w.store, digests(t), digest.SchedulerOptions{Now: w.clock.Now}, nil)
	if n := s.Tick(w.ctx); n != 4 {
		t.Fatalf("first tick created %d parts, want 4 (one an account)", n)
	}
	if n := s.Tick(w.ctx); n != 0 {
		t.Fatalf("a tick before anything was sent created %d parts", n)
	}
	restarted := digest.NewScheduler(w.store, digests(t), digest.SchedulerOptions{Now: w.clock.Now}, nil)
	if n := restarted.Tick(w.ctx); n != 0 {
		t.Fatalf("a restarted scheduler created %d parts before anything was sent", n)
	}
	_, err := w.disp.RunOnce(w.ctx)
	must(t, err)
	if n := restarted.Tick(w.ctx); n != 3 {
		t.Fatalf("after the first parts were sent: %d parts created, want 3 (Facebook's digest is one post)", n)
	}
	parts, err := w.store.DigestJobs(w.ctx, "x_main", "2026-03-02")
	must(t, err)
	if len(parts) != 2 || parts[1].Job.ReplyTo != parts[0].Job.RemoteID || parts[0].Job.RemoteID == "" {
		t.Errorf("x_main's parts: %+v", parts)
	}
}

// TestTextsShowTheTaggedLink checks that a line shows the link as the
// account tags it, the link its post is reconciled by, and that a bad
// schedule, count or template is refused.
func TestTextsShowTheTaggedLink(t *testing.T) {
	d, err := digest.New(digest.Config{Account: "x", Network: herald.Twitter, Schedule: "0 19 * * *",
		Link: func(u string) string { return u + "?utm_source=x" }})
	must(t, err)
	texts, err := d.Texts([]herald.ReportRow{{Title: "A", URL: "https://news.example/a"}, {Title: "B", URL: "https://news.example/b"}})
	must(t, err)
	if len(texts) != 2 || texts[0] != "Most shared today\n\n1. A https://news.example/a?utm_source=x" ||
		texts[1] != "2. B https://news.example/b?utm_source=x" {
		t.Errorf("texts = %q", texts)
	}
	// A headline too long for the network is shortened, not the link.
	d, err = digest.New(digest.Config{Account: "x", Network: herald.Twitter, Schedule: "0 19 * * *",
		Fits: func(s string) bool { return len([]rune(s)) <= 60 }})
	must(t, err)
	long := strings.Repeat("Very long headline ", 10)
	texts, err = d.Texts([]herald.ReportRow{{Title: "A", URL: "https://news.example/a"}, {Title: long, URL: "https://news.example/b"}})
	must(t, err)
	if n := len([]rune(texts[1])); n > 60 || !strings.HasPrefix(texts[1], "2. Very long headline") ||
		!strings.HasSuffix(texts[1], "… https://news.example/b") {
		t.Errorf("long headline: %q (%d runes)", texts[1], n)
	}
	for _, bad := range []digest.Config{
		{Schedule: "every day"}, {Schedule: "0 19 * * *", Count: 21}, {Schedule: "0 19 * * *", Template: "{{.Nope"},
		{Schedule: "0 19 * * *", Template: "{{.Nope}}"}, {Schedule: "0 19 * * *", By: "likes"},
	} {
		if _, err := digest.New(bad); err == nil {
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}

// Package ranktest builds a small newsroom for tests of the collector and
// the report: a real SQLite store in a temporary directory, the X and Graph
// emulations of internal/emulator on loopback, and the real publishers of
// one X account and one Facebook Page, all on one clock the test moves.
package ranktest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/facebook"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/twitter"
)

// Accounts, sections and credentials of the newsroom.
const (
	XAccount  = "x_main"
	FBAccount = "fb_page"

	PageID    = "104000000000001"
	PageToken = "page-token-rk1"
	AppID     = "7000001"
	AppSecret = "app-secret-rk2"
)

// XUser is the X account's user at the emulation.
var XUser = emulator.XUser{ID: "3001", Username: "daily_news", ConsumerKey: "ck-rank",
	ConsumerSecret: "cs-rank-rk3", AccessToken: "3001-at-rank", AccessTokenSecret: "ats-rank-rk4"}

// ReadCost is what the X account is charged per post read ($0.005).
const ReadCost = herald.Money(5000)

// T0 is the clock's start: a whole second (the store keeps milliseconds).
var T0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// Clock is a clock the test moves by hand.
type Clock = testkit.Clock

// Options tune New.
type Options struct {
	X     emulator.XOptions     // Users and Now are set by New
	Graph emulator.GraphOptions // Now is set by New
	// Sections are the sources created (default "mexico", "business").
	Sections []string
}

// World is the newsroom.
type World struct {
	T        testing.TB
	Ctx      context.Context
	Clock    *Clock
	Path     string // the SQLite file
	Store    *sqlite.DB
	X        *emulator.X
	XURL     string
	Graph    *emulator.Graph
	GraphURL string
	Twitter  *twitter.Client
	Facebook *facebook.Client
	Sections map[string]int64 // source IDs by name
}

// New starts the emulations, opens and migrates the store, and records the
// sections and both accounts. Everything is closed when the test ends.
func New(t testing.TB, opts Options) *World {
	t.Helper()
	w := &World{T: t, Ctx: context.Background(), Clock: testkit.NewClock(T0), Sections: map[string]int64{}}
	opts.X.Users = append(opts.X.Users, XUser)
	opts.X.Now = w.Clock.Now
	if opts.X.PostLimit == 0 {
		opts.X.PostLimit, opts.X.PostLimit24h = -1, -1
	}
	x, xs := emulator.StartX(opts.X)
	t.Cleanup(xs.Close)
	w.X, w.XURL = x, xs.URL
	opts.Graph.Now = w.Clock.Now
	g, gs := emulator.StartGraph(opts.Graph)
	t.Cleanup(gs.Close)
	g.AddPage(emulator.GraphPage{ID: PageID, Name: "The Daily", AccessToken: PageToken, AppID: AppID, AppSecret: AppSecret})
	w.Graph, w.GraphURL = g, gs.URL

	w.Path = filepath.Join(t.TempDir(), "herald.db")
	db, err := sqlite.Open(w.Ctx, w.Path)
	w.must(err)
	t.Cleanup(func() { db.Close() })
	w.must(db.Migrate(w.Ctx))
	w.Store = db

	w.Twitter, err = twitter.New(twitter.Config{AccountID: XAccount, BaseURL: w.XURL,
		ConsumerKey: XUser.ConsumerKey, ConsumerSecret: XUser.ConsumerSecret,
		AccessToken: XUser.AccessToken, AccessTokenSecret: XUser.AccessTokenSecret,
		HTTPTimeout: 5 * time.Second}, db, nil)
	w.must(err)
	w.Facebook, err = facebook.New(facebook.Config{AccountID: FBAccount, PageID: PageID, PageAccessToken: PageToken,
		AppID: AppID, AppSecret: AppSecret, GraphBaseURL: w.GraphURL, HTTPTimeout: 5 * time.Second,
		Now: w.Clock.Now}, nil)
	w.must(err)

	sections := opts.Sections
	if len(sections) == 0 {
		sections = []string{"mexico", "business"}
	}
	var specs []herald.SourceSpec
	for _, s := range sections {
		specs = append(specs, herald.SourceSpec{Name: s, URL: "https://example.com/" + s + ".xml"})
	}
	w.must(db.SyncSources(w.Ctx, specs))
	for _, s := range sections {
		src, err := db.GetSource(w.Ctx, s)
		w.must(err)
		w.Sections[s] = src.ID
	}
	w.must(db.SyncAccounts(w.Ctx, []herald.Account{
		{ID: XAccount, Network: herald.Twitter}, {ID: FBAccount, Network: herald.Facebook}}))
	return w
}

func (w *World) must(err error) {
	w.T.Helper()
	if err != nil {
		w.T.Fatal(err)
	}
}

// Accounts returns both accounts for a collector; X reads cost ReadCost.
func (w *World) Accounts() []rank.Account {
	return []rank.Account{
		{ID: XAccount, Network: herald.Twitter, Publisher: w.Twitter, ReadCost: ReadCost},
		{ID: FBAccount, Network: herald.Facebook, Publisher: w.Facebook},
	}
}

// Collector returns a collector of both accounts on the world's clock.
func (w *World) Collector(opts rank.Options) *rank.Collector {
	opts.Now = w.Clock.Now
	return rank.NewCollector(w.Store, w.Accounts(), opts, nil)
}

// Story is an article to publish.
type Story struct {
	Key       string // a short name; the URL is https://example.com/<Key>
	Section   string // default: the first section
	Published time.Time
	Targets   []string // account IDs; default both
}

// Post is a sent job.
type Post struct {
	JobID     int64
	ArticleID int64
	Account   string
	RemoteID  string
}

// Published holds what Publish sent, by story key and account.
type Published map[string]map[string]Post

// Publish saves the stories in their sections, claims their jobs and sends
// them through the real publishers to the emulations, recording them sent
// at the clock's time.
func (w *World) Publish(stories ...Story) Published {
	w.T.Helper()
	now := w.Clock.Now()
	out := Published{}
	pubs := map[string]herald.Publisher{XAccount: w.Twitter, FBAccount: w.Facebook}
	articles := map[int64]string{}
	for _, s := range stories {
		sec := s.Section
		if sec == "" {
			sec = firstKey(w.Sections)
		}
		targets := s.Targets
		if targets == nil {
			targets = []string{XAccount, FBAccount}
		}
		pub := s.Published
		if pub.IsZero() {
			pub = now
		}
		res, err := w.Store.SaveArticles(w.Ctx, w.Sections[sec], []herald.ArticleInput{{
			URL: "https://example.com/" + s.Key, Title: "Story " + s.Key, PublishedAt: pub,
			Announce: true, Targets: targets}}, now)
		w.must(err)
		articles[res[0].Article.ID] = s.Key
		out[s.Key] = map[string]Post{}
	}
	jobs, err := w.Store.ClaimJobs(w.Ctx, herald.ClaimOptions{Owner: "ranktest", Now: now, Lease: time.Minute,
		Accounts: map[string]time.Duration{XAccount: 0, FBAccount: 0}, PerAccount: 1 << 30})
	w.must(err)
	for _, j := range jobs {
		w.must(w.Store.StartAttempt(w.Ctx, j.ID, "ranktest", now, time.Minute))
		link := j.Article.URL
		r, err := pubs[j.Account].Publish(w.Ctx, herald.Message{Text: j.Article.Title + " " + link, Link: link})
		if err != nil {
			w.T.Fatalf("publish job %d to %s: %v", j.ID, j.Account, err)
		}
		w.must(w.Store.FinishJob(w.Ctx, j.ID, "ranktest", herald.Outcome{State: herald.JobSent, RemoteID: r.RemoteID,
			Permalink: r.Permalink, SentText: j.Article.Title, SentAt: now, Attempted: true}, now))
		key := articles[j.ArticleID]
		out[key][j.Account] = Post{JobID: j.ID, ArticleID: j.ArticleID, Account: j.Account, RemoteID: r.RemoteID}
	}
	return out
}

func firstKey(m map[string]int64) string {
	best, bestID := "", int64(0)
	for k, id := range m {
		if bestID == 0 || id < bestID {
			best, bestID = k, id
		}
	}
	return best
}

// Figures are a story's engagement on both networks.
type Figures struct {
	X  emulator.XMetrics
	FB emulator.GraphEngagement
}

// Set sets the engagement the emulations report for a story's posts.
func (w *World) Set(p Published, key string, f Figures) {
	w.T.Helper()
	posts, ok := p[key]
	if !ok {
		w.T.Fatalf("no story %q", key)
	}
	if x, ok := posts[XAccount]; ok {
		w.X.SetMetrics(x.RemoteID, f.X)
	}
	if fb, ok := posts[FBAccount]; ok {
		if err := w.Graph.SetEngagement(fb.RemoteID, f.FB); err != nil {
			w.T.Fatal(fmt.Errorf("set engagement of %s: %w", key, err))
		}
	}
}

package feed

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// newsroom is the served side of the end-to-end test: two section feeds that
// the test publishes stories into.
type newsroom struct {
	srv   *feedServer
	mu    sync.Mutex
	feeds map[string][]testItem
}

func (n *newsroom) publish(path string, items ...testItem) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.feeds[path] = append(items, n.feeds[path]...) // newest first
	n.srv.set(path, rss(path, n.feeds[path]))
}

// announcements records OnNew calls by canonical URL.
type announcements struct {
	mu   sync.Mutex
	seen map[string]int
}

func (a *announcements) add(art herald.Article) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen[art.URL]++
}

func (a *announcements) total() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.seen {
		n += c
	}
	return n
}

// TestEndToEnd serves two feeds over HTTP, runs the poller on an SQLite file,
// publishes stories into the feeds and checks that the backlog is not
// announced, that each new story is announced (and gets its jobs) exactly
// once, also across a restart on the same database and when one story is in
// both feeds, and that unchanged feeds cost a 304.
func TestEndToEnd(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "herald.db")
	room := &newsroom{srv: newFeedServer(t), feeds: map[string][]testItem{}}
	now := time.Now()
	story := func(section string, i int, age time.Duration) testItem {
		return testItem{
			GUID:      fmt.Sprintf("%s-%d", section, i),
			Title:     fmt.Sprintf("%s story %d", section, i),
			Link:      fmt.Sprintf("https://news.example/%s/%d?utm_source=rss&utm_medium=%s", section, i, section),
			Published: now.Add(-age),
		}
	}
	shared := testItem{Title: "Story in both sections", Link: "https://news.example/shared", Published: now.Add(-3 * time.Hour)}
	for i := range 5 {
		room.publish("/world", story("world", i, time.Duration(i+1)*time.Hour))
		room.publish("/business", story("business", i, time.Duration(i+1)*time.Hour))
	}
	room.publish("/world", withGUID(shared, "w-shared"))
	room.publish("/business", withGUID(shared, "b-shared"))
	accounts := []string{"x_main", "fb_page"}
	sources := []SourceConfig{
		{Name: "world", URL: room.srv.URL + "/world", Interval: 50 * time.Millisecond, Targets: accounts},
		{Name: "business", URL: room.srv.URL + "/business", Interval: 50 * time.Millisecond, Targets: accounts},
	}
	ann := &announcements{seen: map[string]int{}}
	start := func(owner string) (herald.Store, func()) {
		db := teststore.SQLiteAt(t, dbPath)
		syncAccounts(t, db, accounts...)
		p := New(db, Options{Sources: sources, Owner: owner, OnNew: ann.add}, nil)
		stop := runPoller(t, p)
		return db, func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
			db.Close()
		}
	}

	db, stop := start("first")
	testkit.WaitFor(t, "the backlog", 5*time.Second, func() bool { return articleCount(t, db) == 11 })
	quiet(t, room)
	if n, a := jobCount(t, db), ann.total(); n != 0 || a != 0 {
		t.Fatalf("backlog: %d jobs, %d announced; want none", n, a)
	}
	if _, nm := room.srv.counts("/world"); nm == 0 {
		t.Fatal("no 304 on unchanged polls")
	}

	// New stories, one of them in both feeds (different GUIDs, tracking
	// parameters, and a fragment).
	room.publish("/world", story("world", 5, 0), story("world", 6, 0))
	room.publish("/business", story("business", 5, 0))
	both := testItem{Title: "Breaking in both", Link: "https://news.example/both", Published: now}
	room.publish("/world", withGUID(withLink(both, both.Link+"?utm_campaign=w#top"), "w-both"))
	room.publish("/business", withGUID(withLink(both, both.Link+"?fbclid=abc"), "b-both"))
	testkit.WaitFor(t, "four announcements", 5*time.Second, func() bool { return ann.total() >= 4 })
	quiet(t, room)
	checkOnce(t, db, ann, 4, accounts)
	stop()

	// Restart on the same database: nothing is announced again, unchanged
	// feeds answer 304, and the next story is announced once.
	_, nmBefore := room.srv.counts("/business")
	fullBefore, _ := room.srv.counts("/business")
	db, stop = start("second")
	defer stop()
	testkit.WaitFor(t, "a 304 after the restart", 5*time.Second, func() bool {
		_, nm := room.srv.counts("/business")
		return nm > nmBefore
	})
	if full, _ := room.srv.counts("/business"); full != fullBefore {
		t.Errorf("the restarted poller fetched an unchanged feed in full (%d -> %d)", fullBefore, full)
	}
	quiet(t, room)
	checkOnce(t, db, ann, 4, accounts)
	room.publish("/business", story("business", 6, 0))
	testkit.WaitFor(t, "the fifth announcement", 5*time.Second, func() bool { return ann.total() >= 5 })
	quiet(t, room)
	checkOnce(t, db, ann, 5, accounts)
}

func withGUID(it testItem, guid string) testItem { it.GUID = guid; return it }
func withLink(it testItem, link string) testItem { it.Link = link; return it }

// quiet lets every feed be polled a few more times, so anything announced
// twice would have been.
func quiet(t *testing.T, room *newsroom) {
	t.Helper()
	before := map[string]int{}
	for _, p := range []string{"/world", "/business"} {
		f, nm := room.srv.counts(p)
		before[p] = f + nm
	}
	testkit.WaitFor(t, "three more polls of each feed", 5*time.Second, func() bool {
		for p, n := range before {
			if f, nm := room.srv.counts(p); f+nm < n+3 {
				return false
			}
		}
		return true
	})
}

// checkOnce checks that want stories were announced, each once, with one job
// per account each.
func checkOnce(t *testing.T, db herald.Store, ann *announcements, want int, accounts []string) {
	t.Helper()
	ann.mu.Lock()
	for u, n := range ann.seen {
		if n != 1 {
			t.Errorf("%s announced %d times", u, n)
		}
	}
	if len(ann.seen) != want {
		t.Errorf("%d stories announced, want %d: %v", len(ann.seen), want, ann.seen)
	}
	ann.mu.Unlock()
	jobs, err := db.ListJobs(context.Background(), herald.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	perStory := map[string]int{}
	for _, j := range jobs {
		perStory[fmt.Sprintf("%d/%s", j.ArticleID, j.Account)]++
	}
	if len(jobs) != want*len(accounts) || len(perStory) != len(jobs) {
		t.Errorf("%d jobs for %d (article, account) pairs, want %d", len(jobs), len(perStory), want*len(accounts))
	}
}

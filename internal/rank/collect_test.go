package rank_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/rank/ranktest"
	"github.com/heraldhq/herald/internal/testkit"
)

const readsRoute = "GET /2/tweets"

func pass(t *testing.T, c *rank.Collector) rank.PassStats {
	t.Helper()
	st, err := c.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// graphReads counts the Graph API's engagement reads (GET /?ids= and GET /{post}).
func graphReads(g *emulator.Graph) int {
	n := 0
	for _, r := range g.Requests() {
		if r.Method == "GET" && (r.Path == "/" || strings.Contains(r.Path, "_")) {
			n++
		}
	}
	return n
}

// latest returns each job's latest reading, by job ID.
func latest(t *testing.T, w *ranktest.World) map[int64]herald.Job {
	t.Helper()
	jobs, err := w.Store.ListJobs(w.Ctx, herald.JobFilter{States: []herald.JobState{herald.JobSent}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]herald.Job{}
	for _, j := range jobs {
		out[j.ID] = j
	}
	return out
}

func TestPassStoresReadingsInBatches(t *testing.T) {
	t.Parallel()
	w := ranktest.New(t, ranktest.Options{})
	var stories []ranktest.Story
	for i := range 120 {
		s := ranktest.Story{Key: fmt.Sprintf("s%03d", i), Targets: []string{ranktest.XAccount}}
		if i < 60 {
			s.Targets = append(s.Targets, ranktest.FBAccount)
		}
		stories = append(stories, s)
	}
	p := w.Publish(stories...)
	for i, s := range stories {
		w.Set(p, s.Key, ranktest.Figures{
			X:  emulator.XMetrics{Retweets: int64(i), Quotes: 1, Likes: 2 * int64(i), Replies: 3, Impressions: 100, Bookmarks: 4},
			FB: emulator.GraphEngagement{Shares: int64(i) + 1, Reactions: 7, Comments: 8},
		})
	}
	var progress [][2]int
	c := rank.NewCollector(w.Store, w.Accounts(), rank.Options{Now: w.Clock.Now,
		Progress: func(done, total int) { progress = append(progress, [2]int{done, total}) }}, nil)
	st := pass(t, c)

	if st.Posts != 180 || st.Due != 180 || st.Read != 180 || st.Failed != 0 || st.Gone != 0 {
		t.Errorf("stats %+v, want 180 posts due and read", st)
	}
	// X takes 100 ids a request, Graph 50.
	if got := w.X.Count(readsRoute); got != 2 {
		t.Errorf("X engagement requests = %d, want 2", got)
	}
	if got := graphReads(w.Graph); got != 2 {
		t.Errorf("Graph engagement requests = %d, want 2", got)
	}
	if st.Requests != 4 {
		t.Errorf("stats requests = %d, want 4", st.Requests)
	}
	jobs := latest(t, w)
	x := jobs[p["s007"][ranktest.XAccount].JobID].Latest
	if want := (herald.Engagement{Retweets: 7, Quotes: 1, Likes: 14, Replies: 3, Impressions: 100, Bookmarks: 4}); x != want {
		t.Errorf("X reading %+v, want %+v", x, want)
	}
	fb := jobs[p["s007"][ranktest.FBAccount].JobID].Latest
	if want := (herald.Engagement{Shares: 8, Reactions: 7, Comments: 8}); fb != want {
		t.Errorf("Facebook reading %+v, want %+v", fb, want)
	}
	if len(progress) == 0 || progress[len(progress)-1] != [2]int{180, 180} {
		t.Errorf("progress %v, want it to end at 180 of 180", progress)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i][0] < progress[i-1][0] {
			t.Errorf("progress went back: %v", progress)
		}
	}
}

func TestPassFollowsSchedule(t *testing.T) {
	t.Parallel()
	w := ranktest.New(t, ranktest.Options{})
	c := w.Collector(rank.Options{Interval: 15 * time.Minute})
	old := w.Publish(ranktest.Story{Key: "old", Targets: []string{ranktest.XAccount}})
	w.Clock.Advance(3 * time.Hour)
	w.Publish(ranktest.Story{Key: "fresh", Targets: []string{ranktest.XAccount}})

	// Never read: both are due.
	if st := pass(t, c); st.Due != 2 || st.Read != 2 {
		t.Fatalf("first pass %+v, want 2 read", st)
	}
	// 15 minutes on, only the post younger than an hour is due.
	w.Clock.Advance(15 * time.Minute)
	if st := pass(t, c); st.Posts != 2 || st.Due != 1 || st.Read != 1 {
		t.Errorf("second pass %+v, want only the fresh post read", st)
	}
	// An hour after its last reading (a little early is fine) the older one is due again.
	w.Clock.Advance(40 * time.Minute)
	if st := pass(t, c); st.Due != 2 {
		t.Errorf("pass after 55m: %+v, want both due", st)
	}
	// A day old: every six hours.
	w.Clock.Set(ranktest.T0.Add(30 * time.Hour))
	if st := pass(t, c); st.Due != 2 {
		t.Errorf("pass at 30h: %+v, want both due", st)
	}
	w.Clock.Advance(3 * time.Hour)
	if st := pass(t, c); st.Due != 0 {
		t.Errorf("pass 3h later: %+v, want none due", st)
	}
	w.Clock.Advance(3 * time.Hour)
	if st := pass(t, c); st.Due != 2 {
		t.Errorf("pass 6h later: %+v, want both due", st)
	}
	// Past collect_for, a post is no longer read.
	w.Clock.Set(ranktest.T0.Add(7*24*time.Hour + time.Minute))
	if st := pass(t, c); st.Posts != 1 || st.Due != 1 {
		t.Errorf("pass after 7 days: %+v, want only the younger post", st)
	}
	reads := w.X.Count(readsRoute)
	w.Clock.Set(ranktest.T0.Add(8 * 24 * time.Hour))
	if st := pass(t, c); st.Posts != 0 || st.Requests != 0 {
		t.Errorf("pass after 8 days: %+v, want nothing", st)
	}
	if w.X.Count(readsRoute) != reads {
		t.Error("a pass with nothing due called X")
	}
	_ = old
}

func TestGonePostIsMarkedAndLeftOutOfRankings(t *testing.T) {
	t.Parallel()
	w := ranktest.New(t, ranktest.Options{})
	p := w.Publish(ranktest.Story{Key: "kept"}, ranktest.Story{Key: "deleted"})
	w.Set(p, "kept", ranktest.Figures{X: emulator.XMetrics{Retweets: 1}, FB: emulator.GraphEngagement{Shares: 1}})
	w.Set(p, "deleted", ranktest.Figures{X: emulator.XMetrics{Retweets: 50}, FB: emulator.GraphEngagement{Shares: 50}})
	c := w.Collector(rank.Options{})
	pass(t, c)
	rows, err := w.Store.Report(w.Ctx, herald.ReportQuery{Since: ranktest.T0.Add(-time.Hour), Until: w.Clock.Now()})
	if err != nil || len(rows) != 2 || rows[0].Title != "Story deleted" || rows[0].Shares != 100 {
		t.Fatalf("report before deletion: %+v, %v", rows, err)
	}

	// Deleted on x.com and on Facebook, not by Herald.
	if !w.X.DeletePost(p["deleted"][ranktest.XAccount].RemoteID) {
		t.Fatal("X post not deleted")
	}
	if err := w.Facebook.Delete(w.Ctx, p["deleted"][ranktest.FBAccount].RemoteID); err != nil {
		t.Fatal(err)
	}
	w.Clock.Advance(10 * time.Minute)
	st := pass(t, c)
	if st.Gone != 2 || st.Read != 2 || st.Failed != 0 {
		t.Errorf("stats %+v, want 2 gone and 2 read", st)
	}
	for _, acct := range []string{ranktest.XAccount, ranktest.FBAccount} {
		j, err := w.Store.GetJob(w.Ctx, p["deleted"][acct].JobID)
		if err != nil || !j.RemoteGone {
			t.Errorf("%s job: gone %v, %v", acct, j.RemoteGone, err)
		}
	}
	rows, err = w.Store.Report(w.Ctx, herald.ReportQuery{Since: ranktest.T0.Add(-time.Hour), Until: w.Clock.Now()})
	if err != nil || len(rows) != 1 || rows[0].Title != "Story kept" {
		t.Errorf("report after deletion: %+v, %v", rows, err)
	}
	// A gone post is not read again.
	w.Clock.Advance(10 * time.Minute)
	if st := pass(t, c); st.Posts != 2 || st.Gone != 0 {
		t.Errorf("next pass %+v, want only the kept posts", st)
	}
}

func TestReadsChargedOncePerPostAndUTCDay(t *testing.T) {
	t.Parallel()
	w := ranktest.New(t, ranktest.Options{})
	w.Clock.Set(time.Date(2026, 3, 10, 22, 0, 0, 0, time.UTC))
	w.Publish(ranktest.Story{Key: "a"}, ranktest.Story{Key: "b"}, ranktest.Story{Key: "c"})
	c := w.Collector(rank.Options{})
	spend := func() herald.Money {
		t.Helper()
		m, err := w.Store.Spend(w.Ctx, ranktest.XAccount, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	st := pass(t, c)
	if st.Charged != 3 || st.Cost != 3*ranktest.ReadCost || spend() != 3*ranktest.ReadCost {
		t.Errorf("first pass charged %d (%d), spend %d; want 3 reads of X posts", st.Charged, st.Cost, spend())
	}
	// Read again the same UTC day: X does not bill it again.
	w.Clock.Advance(30 * time.Minute)
	st = pass(t, c)
	if st.Read != 6 || st.Charged != 0 || spend() != 3*ranktest.ReadCost {
		t.Errorf("second pass read %d, charged %d, spend %d; want 6 read, none charged", st.Read, st.Charged, spend())
	}
	// Past midnight UTC the next read is billed.
	w.Clock.Advance(2 * time.Hour)
	st = pass(t, c)
	if st.Charged != 3 || spend() != 6*ranktest.ReadCost {
		t.Errorf("next day charged %d, spend %d; want 3 more", st.Charged, spend())
	}
	if m, _ := w.Store.Spend(w.Ctx, ranktest.FBAccount, time.Time{}); m != 0 {
		t.Errorf("Facebook reads charged %d, want nothing", m)
	}
}

func TestRateLimitedAccountIsHeldAndPassGoesOn(t *testing.T) {
	t.Parallel()
	// X allows one read a window; the Page has room for its five posts and
	// two reads.
	w := ranktest.New(t, ranktest.Options{X: emulator.XOptions{ReadLimit: 1},
		Graph: emulator.GraphOptions{PageCallLimit: 7}})
	// The X client never lets a rate limit end before the wall clock's now.
	w.Clock.Set(time.Now().Truncate(time.Second))
	var stories []ranktest.Story
	for i := range 5 {
		stories = append(stories, ranktest.Story{Key: fmt.Sprint(i)})
	}
	w.Publish(stories...)
	c := w.Collector(rank.Options{})
	st := pass(t, c)
	// One X request read all five (batches of 100): not limited yet.
	if st.Read != 10 || len(st.Held) != 0 {
		t.Fatalf("first pass %+v, want all read", st)
	}
	w.Clock.Advance(time.Minute)
	st = pass(t, c) // X: 429; Graph: its last call
	if !slices.Contains(st.Held, ranktest.XAccount) || st.Read != 5 || st.Failed != 5 {
		t.Fatalf("second pass %+v, want X held and Facebook read", st)
	}
	// X limits reads per endpoint: posting is not held.
	if a, _ := w.Store.GetAccount(w.Ctx, ranktest.XAccount); a.HoldUntil.After(w.Clock.Now()) {
		t.Errorf("X account held from posting until %v", a.HoldUntil)
	}
	xReads := w.X.Count(readsRoute)
	w.Clock.Advance(time.Minute)
	st = pass(t, c) // X skipped while held; Graph: throttled
	if w.X.Count(readsRoute) != xReads {
		t.Error("a held account was read")
	}
	if !slices.Contains(st.Held, ranktest.FBAccount) || st.Failed != 10 || st.Read != 0 {
		t.Errorf("third pass %+v, want Facebook held too", st)
	}
	// Graph's limits count every call of the Page: posting waits too.
	if a, _ := w.Store.GetAccount(w.Ctx, ranktest.FBAccount); !a.HoldUntil.After(w.Clock.Now()) {
		t.Errorf("Facebook account not held: %+v", a)
	}
	// After X's window the account is read again.
	w.Clock.Advance(15 * time.Minute)
	st = pass(t, c)
	if w.X.Count(readsRoute) != xReads+1 || st.Read < 5 {
		t.Errorf("pass after the window: %+v, X reads %d", st, w.X.Count(readsRoute)-xReads)
	}
}

func TestFailingAccountIsSkippedAndLogged(t *testing.T) {
	t.Parallel()
	w := ranktest.New(t, ranktest.Options{})
	w.Publish(ranktest.Story{Key: "a"}, ranktest.Story{Key: "b"})
	emulatortest.ExpireUser(w.X, ranktest.XUser.ID) // credentials revoked
	var logs testkit.Buffer
	c := rank.NewCollector(w.Store, w.Accounts(), rank.Options{Now: w.Clock.Now},
		slog.New(slog.NewJSONHandler(&logs, nil)))
	st, err := c.Pass(w.Ctx)
	if err != nil {
		t.Fatalf("pass failed on an account's error: %v", err)
	}
	if st.Read != 2 || st.Failed != 2 {
		t.Errorf("stats %+v, want Facebook read and X failed", st)
	}
	out := logs.String()
	if !strings.Contains(out, `"account":"x_main"`) || !strings.Contains(out, "auth") {
		t.Errorf("log lacks the account's error:\n%s", out)
	}
	for _, secret := range []string{ranktest.XUser.AccessTokenSecret, ranktest.XUser.ConsumerSecret, ranktest.PageToken} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds a secret:\n%s", out)
		}
	}
}

func TestRunPassesOnlyWithTheLock(t *testing.T) {
	t.Parallel()
	w := ranktest.New(t, ranktest.Options{})
	w.Publish(ranktest.Story{Key: "a"})
	ctx := w.Ctx
	// Another instance holds the lock.
	if ok, err := w.Store.TryLock(ctx, rank.LockName, "other", w.Clock.Now(), time.Hour); !ok || err != nil {
		t.Fatal(ok, err)
	}
	run := func(owner, wait string, while func()) {
		t.Helper()
		logs := &signalBuffer{want: wait, seen: make(chan struct{})}
		c := rank.NewCollector(w.Store, w.Accounts(), rank.Options{Owner: owner, Interval: time.Hour, Now: w.Clock.Now},
			slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- c.Run(rctx) }()
		select {
		case <-logs.seen:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: no %q in the log:\n%s", owner, wait, logs.String())
		}
		while()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v", err)
		}
	}
	run("me", "lock held by another live instance", func() {})
	if n := w.X.Count(readsRoute); n != 0 {
		t.Errorf("a collector without the lock read %d times", n)
	}
	// The other instance died; its lease runs out.
	w.Clock.Advance(time.Hour + time.Second)
	run("me", "collector pass", func() {
		if ok, _ := w.Store.TryLock(ctx, rank.LockName, "other", w.Clock.Now(), time.Hour); ok {
			t.Error("the lock was not taken by the running collector")
		}
	})
	if n := w.X.Count(readsRoute); n != 1 {
		t.Errorf("the lock holder read %d times, want 1", n)
	}
	// A collector that stopped gave the lock back: another takes it at once.
	if ok, err := w.Store.TryLock(ctx, rank.LockName, "other", w.Clock.Now(), time.Hour); !ok || err != nil {
		t.Errorf("the lock was kept after the collector stopped: %v %v", ok, err)
	}
}

// signalBuffer closes seen when a log line containing want is written.
type signalBuffer struct {
	testkit.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (b *signalBuffer) Write(p []byte) (int, error) {
	n, err := b.Buffer.Write(p)
	if bytes.Contains(p, []byte(b.want)) {
		b.once.Do(func() { close(b.seen) })
	}
	return n, err
}

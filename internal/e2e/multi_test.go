package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/testkit"
)

// TestMultiInstanceSharesTheWork is the multi-instance acceptance test: three
// `herald run` processes share one PostgreSQL schema and 60 feeds served
// by the test, into which 600 stories appear in 10 waves, all for one X
// account and those of one feed in four for a second one spaced 50 ms, on
// an emulation that fails 10 % of posts with a 5xx, 5 % with a 429 and
// makes 5 % of them but drops the answer. (Its time goes into sending the
// posts and polling the feeds one by one, not into any configured wait:
// the volume sets it, and this one shows every fault many times over.) One
// instance is killed with SIGKILL mid-run (and comes back under its ID a
// second later, its leases still live); another is stopped with SIGTERM and
// started again. Afterwards every job is sent and each account got each of
// its stories exactly once, every feed was polled after the last wave, no feed
// was ever requested by two instances at once, and the spaced account's
// posts keep its pace (see checkSpacing) although three processes sent them.
func TestMultiInstanceSharesTheWork(t *testing.T) {
	t.Parallel()
	needBinary(t)
	const nSources, waves, spacing = 60, 10, 50 * time.Millisecond
	names := make([]string, nSources)
	for i := range names {
		names[i] = fmt.Sprintf("src%03d", i)
	}
	accts := newXAccounts(2)
	accts[1].minInterval = spacing
	site := newMultiSite(t, accts, 20*time.Millisecond, names...)
	feeds, x, dir := site.feeds, site.x, site.dir
	for _, n := range names {
		feeds.add(n, story{Title: "Old " + n, Link: "https://news.example/" + n + "/old", GUID: n + "-old",
			Published: time.Now().Add(-time.Hour)})
	}
	emulatortest.Faults(x).Set(0.10, 0.05, 0.05, 0, 2026)
	// Every story goes to x_0; the stories of one feed in four go to x_1
	// too, as many as its spacing lets through in the time.
	spaced := func(source string) bool { return slices.Index(names, source)%4 == 0 }
	targets := func(source string) []string {
		if spaced(source) {
			return []string{accts[0].id, accts[1].id}
		}
		return []string{accts[0].id}
	}
	cfg := site.write(t, multiConfig{interval: 2 * time.Second, targets: targets,
		// Retry, reconciliation and rate-limit waits 1000 times shorter than by default.
		extra: "feed: {timeout: 1s}\ndispatch: {lease: 2s, timeout: 1s, shutdown_wait: 2s, max_attempts: 1000, " +
			"backoff_base: 30ms, backoff_max: 1800ms, reconcile_delay: 5ms, rate_limit_wait: 60ms}\n"})

	began := time.Now()
	ins := []*instance{startInstance(t, dir, cfg, "h1"), startInstance(t, dir, cfg, "h2"),
		startInstance(t, dir, cfg, "h3")}
	alive := func() {
		for _, in := range ins {
			if !in.down && in.d.exited() {
				t.Fatalf("instance %s exited on its own: %v\n%s", in.id, in.d.err, in.d.logs.tail(30))
			}
		}
	}
	db := openPG(t, site.dsn)
	testkit.WaitFor(t, "every feed's backlog recorded", 30*time.Second, func() bool {
		alive()
		return allSeeded(db, nSources)
	})
	t.Logf("3 instances up and %d feeds seeded in %s", nSources, time.Since(began).Round(time.Millisecond))

	// A step every 500 ms, a wave every other step (each feed is polled
	// every 2 s, so a poll often finds two waves); SIGKILL of h1 after the
	// 4th wave, back 1 s later; h2 stopped and started again after the 7th.
	var stories, spacedStories []story
	var lastWave time.Time
	killStep, termStep := 2*waves*35/100, 2*waves*70/100
	for step := range 2 * waves {
		if step%2 == 0 {
			w := step / 2
			for _, n := range names {
				s := story{Title: fmt.Sprintf("%s wave %d: council votes", n, w), Link: fmt.Sprintf("https://news.example/%s/story-%d", n, w),
					GUID: fmt.Sprintf("%s-%d", n, w), Published: time.Now()}
				feeds.add(n, s)
				stories = append(stories, s)
				if spaced(n) {
					spacedStories = append(spacedStories, s)
				}
			}
			lastWave = time.Now()
		}
		switch step {
		case killStep:
			ins[0].d.kill()
			ins[0].down = true
		case killStep + 2:
			ins[0].restart(t, dir, cfg)
		case termStep:
			if code, took := ins[1].d.stop(t, syscall.SIGTERM, 10*time.Second); code != 0 {
				t.Fatalf("h2: exit status %d after SIGTERM (%s):\n%s", code, took, ins[1].d.logs.tail(20))
			}
			ins[1].restart(t, dir, cfg)
		}
		alive()
		time.Sleep(500 * time.Millisecond)
	}

	want := len(stories) + len(spacedStories)
	// Wait for the outcome, not a clock: the test fails when the work
	// stalls (no job sent for stall), however long a loaded machine takes
	// while it goes on; bound only keeps the loop finite.
	const stall, bound = 30 * time.Second, 15 * time.Minute
	done, progressed := -1, time.Now()
	for deadline := time.Now().Add(bound); ; {
		n := jobCount(db, herald.JobSent)
		if n == want {
			break
		}
		if n != done {
			done, progressed = n, time.Now()
		}
		alive()
		if now := time.Now(); now.Sub(progressed) > stall || now.After(deadline) {
			for _, in := range ins {
				t.Logf("%s: warnings %v", in.id, in.warnings())
			}
			t.Fatalf("%d of %d jobs sent, none for %s: %s", n, want, now.Sub(progressed).Round(time.Second),
				queueState(db, x, accts))
		}
		if testing.Verbose() && time.Now().Second()%15 == 0 {
			t.Logf("%s: %s", time.Since(began).Round(time.Second), queueState(db, x, accts))
			time.Sleep(time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("every job sent %s after the last wave, %s after the start", time.Since(lastWave).Round(time.Millisecond),
		time.Since(began).Round(time.Millisecond))
	testkit.WaitFor(t, "every feed polled after the last wave", 10*time.Second, func() bool {
		return len(feeds.notPolledSince(lastWave, names)) == 0
	})
	for _, in := range ins {
		if code, _ := in.d.stop(t, syscall.SIGTERM, 10*time.Second); code != 0 {
			t.Errorf("%s: exit status %d after SIGTERM:\n%s", in.id, code, in.d.logs.tail(20))
		}
	}

	checkMultiJobs(t, db, want)
	checkMultiPosts(t, x, accts[0], stories)
	checkMultiPosts(t, x, accts[1], spacedStories)
	if o := feeds.overlapped(); len(o) > 0 {
		t.Errorf("%d polls of a feed overlapped another instance's; first: %v", len(o), o[:min(5, len(o))])
	}
	checkSpacing(t, x, accts[1], ins)
	reqs, gap := feeds.requests()
	faults := map[string]int{}
	for _, r := range x.Requests() {
		faults[r.Route+" "+faultName(r.Fault)]++
	}
	found, notFound, sent := 0, 0, map[string]int{}
	for _, in := range ins {
		found += in.logCount("reconcile: post found, recorded as sent")
		notFound += in.logCount("reconcile: post not found, sending")
		sent[in.id] = in.logCount("post sent")
	}
	t.Logf("%d stories in %d feeds, %d posts; %d feed requests (shortest gap between two of one feed %s), 0 overlaps; "+
		"posts sent by instance %v; reconciled %d found, %d not found; X requests by route and fault: %v",
		len(stories), nSources, want, reqs, gap.Round(time.Millisecond), sent, found, notFound, faults)
	if faults["POST /2/tweets drop"] == 0 || faults["POST /2/tweets 5xx"] == 0 || faults["POST /2/tweets 429"] == 0 {
		t.Error("not every kind of fault was injected; the test proves less than it claims")
	}
	for id, n := range sent {
		if n == 0 {
			t.Errorf("instance %s sent nothing: the work was not shared", id)
		}
	}
}

// allSeeded reports whether the schema has n sources, each with its backlog
// recorded (false while the daemons have not migrated it yet).
func allSeeded(db *postgres.DB, n int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srcs, err := db.ListSources(ctx)
	if err != nil || len(srcs) != n {
		return false
	}
	for _, s := range srcs {
		if !s.Seeded {
			return false
		}
	}
	return true
}

// queueState describes the queue and the emulation's posts per account,
// for a failure message.
func queueState(db *postgres.DB, x *emulator.X, accts []xAccount) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var b strings.Builder
	for _, a := range accts {
		c, err := db.CountJobs(ctx, a.id)
		fmt.Fprintf(&b, "%s: jobs %v (%v), %d posts; ", a.id, c, err, len(x.PostsByUser(a.user.ID)))
	}
	return b.String()
}

// jobCount counts the jobs in state s (-1 on error).
func jobCount(db *postgres.DB, s herald.JobState) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := db.CountJobs(ctx, "")
	if err != nil {
		return -1
	}
	return c[s]
}

// checkMultiJobs checks that the store has want jobs, every one sent with
// its remote ID.
func checkMultiJobs(t *testing.T, db *postgres.DB, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	jobs, err := db.ListJobs(ctx, herald.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != want {
		t.Errorf("%d jobs, want %d", len(jobs), want)
	}
	bad := 0
	for _, j := range jobs {
		if j.State != herald.JobSent || j.RemoteID == "" {
			if bad++; bad <= 5 {
				t.Errorf("job %d (%s): %s %s %q", j.ID, j.Account, j.State, j.SkipReason, j.LastError)
			}
		}
	}
}

// checkMultiPosts checks that the emulation recorded each story exactly
// once for the account, as composed, and nothing else.
func checkMultiPosts(t *testing.T, x *emulator.X, a xAccount, stories []story) {
	t.Helper()
	got := map[string]int{}
	posts := x.PostsByUser(a.user.ID)
	for _, p := range posts {
		got[p.Text]++
	}
	wrong := 0
	for _, s := range stories {
		if want := s.Title + " " + s.Link; got[want] != 1 {
			if wrong++; wrong <= 5 {
				t.Errorf("%s: %q posted %d times, want once", a.id, want, got[want])
			}
		}
	}
	if len(posts) != len(stories) || wrong > 0 {
		t.Errorf("%s: %d posts, want %d; %d stories not posted exactly once", a.id, len(posts), len(stories), wrong)
	}
}

// checkSpacing checks that no two of the account's posts reached the
// emulation closer than its min_interval, although three processes sent
// them: the account is held from the end of each call and not claimed while
// one of its jobs is, so one instance's call never overlaps another's gap.
// Short gaps are reported with the instances that sent either post.
func checkSpacing(t *testing.T, x *emulator.X, a xAccount, ins []*instance) {
	t.Helper()
	sender := map[string]string{} // remote ID → instance
	for _, in := range ins {
		for _, d := range in.runs {
			for _, msg := range []string{"post sent", "reconcile: post found, recorded as sent"} {
				for _, e := range d.logs.entries(msg) {
					if id, ok := e["remote_id"].(string); ok {
						sender[id] = in.id
					}
				}
			}
		}
	}
	posts := x.PostsByUser(a.user.ID)
	slices.SortFunc(posts, func(p, q emulator.XPost) int { return p.CreatedAt.Compare(q.CreatedAt) })
	if len(posts) < 20 {
		t.Fatalf("%s: %d posts, too few to check their spacing", a.id, len(posts))
	}
	var gaps []time.Duration
	var short []string
	for i := 1; i < len(posts); i++ {
		g := posts[i].CreatedAt.Sub(posts[i-1].CreatedAt)
		gaps = append(gaps, g)
		if g < a.minInterval {
			short = append(short, fmt.Sprintf("%s %s→%s", g.Round(time.Microsecond), sender[posts[i-1].ID], sender[posts[i].ID]))
		}
	}
	sorted := slices.Clone(gaps)
	slices.Sort(sorted)
	q := func(p float64) time.Duration { return sorted[int(p*float64(len(sorted)-1))].Round(time.Microsecond) }
	t.Logf("%s: %d posts spaced %s: gap min %s, p1 %s, p50 %s, max %s", a.id, len(posts), a.minInterval,
		q(0), q(0.01), q(0.5), q(1))
	if len(short) > 0 {
		t.Errorf("%s: %d of %d gaps under min_interval %s: %v", a.id, len(short), len(gaps), a.minInterval,
			short[:min(10, len(short))])
	}
}

// TestDailyCapHoldsAcrossInstances gives three `herald run` processes
// sharing one PostgreSQL 60 new stories at once for two X accounts, one of
// them capped at 20 posts a day: the capped account gets exactly 20 posts
// although every instance reads its count and claims its jobs at the same
// moments, and the other account gets all 60.
func TestDailyCapHoldsAcrossInstances(t *testing.T) {
	t.Parallel()
	needBinary(t)
	if now := time.Now().UTC(); now.Hour() == 23 && now.Minute() >= 58 {
		t.Skip("too close to midnight UTC, when the daily cap starts again")
	}
	const stories, dailyCap = 60, 20
	accts := newXAccounts(2)
	accts[0].dailyCap = dailyCap
	site := newMultiSite(t, accts, 0, "desk")
	x := site.x
	ins := site.startInstances(t, site.write(t, multiConfig{interval: time.Hour}), "c", 3)

	db := openPG(t, site.dsn)
	ctx := context.Background()
	now := time.Now()
	items := make([]herald.ArticleInput, stories)
	for i := range items {
		link := fmt.Sprintf("https://news.example/desk/%d", i)
		items[i] = herald.ArticleInput{URL: link, GUID: link, Title: fmt.Sprintf("Desk story %d", i),
			PublishedAt: now, Announce: true, Targets: []string{accts[0].id, accts[1].id}}
	}
	if _, err := db.SaveArticles(ctx, onlySource(t, db), items, now); err != nil {
		t.Fatal(err)
	}
	// Done when the uncapped account has every post and the capped one has
	// its cap's worth and nothing claimed or sending: what is left of its
	// queue waits for tomorrow.
	testkit.WaitFor(t, "every post of the uncapped account and the capped one at its cap", 60*time.Second, func() bool {
		if len(x.PostsByUser(accts[1].user.ID)) < stories || len(x.PostsByUser(accts[0].user.ID)) < dailyCap {
			return false
		}
		var busy int
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM jobs WHERE account_id = $1
			AND (claimed_by <> '' OR state = 'sending')`, accts[0].id).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		return busy == 0
	})
	for _, in := range ins {
		if code, _ := in.d.stop(t, syscall.SIGTERM, 15*time.Second); code != 0 {
			t.Errorf("%s: exit status %d after SIGTERM", in.id, code)
		}
	}
	sent := map[string]int{}
	for _, in := range ins {
		for _, e := range in.d.logs.entries("post sent") {
			if e["account"] == accts[0].id {
				sent[in.id]++
			}
		}
	}
	capped, other := len(x.PostsByUser(accts[0].user.ID)), len(x.PostsByUser(accts[1].user.ID))
	t.Logf("capped account: %d posts (by instance %v); other: %d", capped, sent, other)
	if capped != dailyCap {
		t.Errorf("capped account got %d posts, want exactly its daily cap %d", capped, dailyCap)
	}
	if other != stories {
		t.Errorf("uncapped account got %d posts, want %d", other, stories)
	}
	c, err := db.CountJobs(ctx, accts[0].id)
	if err != nil {
		t.Fatal(err)
	}
	if c[herald.JobSent] != dailyCap || c[herald.JobPending] != stories-dailyCap {
		t.Errorf("capped account's jobs %v, want %d sent and %d pending", c, dailyCap, stories-dailyCap)
	}
}

// TestJobsOfAnotherInstanceWakeTheDispatcher creates jobs in the shared
// PostgreSQL database from outside a running `herald run` (as another
// instance's webhook would) and checks that the daemon heard of them through
// LISTEN/NOTIFY: its herald_dispatch_notifications_total counter rises, and
// the posts are sent.
func TestJobsOfAnotherInstanceWakeTheDispatcher(t *testing.T) {
	t.Parallel()
	needBinary(t)
	accts := newXAccounts(1)
	site := newMultiSite(t, accts, 0, "wire")
	x := site.x
	in := startInstance(t, site.dir, site.write(t, multiConfig{interval: time.Hour}), "n1")
	var addr string
	testkit.WaitFor(t, "the daemon dispatching and serving HTTP", 30*time.Second, func() bool {
		if in.d.exited() {
			t.Fatalf("exited: %v\n%s", in.d.err, in.d.logs.tail(20))
		}
		if es := in.d.logs.entries("http server listening"); len(es) > 0 {
			addr, _ = es[0]["addr"].(string)
		}
		return addr != "" && in.logCount("dispatcher started") > 0
	})

	db := openPG(t, site.dsn)
	ctx := context.Background()
	source := onlySource(t, db)
	// Two stories one after the other: the listener is surely subscribed by
	// the time the first is sent.
	for i := range 2 {
		now := time.Now()
		link := fmt.Sprintf("https://news.example/wire/%d", i)
		saved, err := db.SaveArticles(ctx, source, []herald.ArticleInput{{URL: link, GUID: link,
			Title: fmt.Sprintf("Wire story %d", i), PublishedAt: now}}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateJob(ctx, herald.NewJob{ArticleID: saved[0].Article.ID, Account: accts[0].id,
			Kind: herald.KindRepost, Template: "{{.Title}} {{.URL}}", DueAt: now}, now); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, fmt.Sprintf("post %d", i+1), 30*time.Second, func() bool { return len(x.Posts()) == i+1 })
	}
	if n := notifications(t, "http://"+addr+"/metrics"); n < 1 {
		t.Errorf("herald_dispatch_notifications_total = %v, want ≥ 1", n)
	}
	if code, _ := in.d.stop(t, syscall.SIGTERM, 15*time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
}

// notifications reads herald_dispatch_notifications_total from /metrics.
func notifications(t *testing.T, url string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "herald_dispatch_notifications_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("%s: no herald_dispatch_notifications_total", url)
	return 0
}

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// startReviewDaemon runs `herald run` in-process with the source "world"
// posting to x_one held for review, and the publish keys given.
func startReviewDaemon(t *testing.T, publish string) (*emulations, *itemFeed, *intakeDaemon) {
	t.Helper()
	e, feed := startEmulations(t), startItemFeed(t)
	return e, feed, startIntakeDaemon(t, e, worldSource(feed, "targets: [x_one], review: true"), publish)
}

// TestReviewHoldsPostsUntilApproved is issue "newsroom controls"
// acceptance 2 (CLI): the posts of a source with review: true are held,
// none goes out until approved; approved, they go out in their order
// (breaking first, then by publication), one with the text an editor gave;
// a rejected one never goes out.
func TestReviewHoldsPostsUntilApproved(t *testing.T) {
	t.Parallel()
	e, feed, d := startReviewDaemon(t, "publish: {breaking_categories: [Breaking]}\n")

	now := time.Now()
	stories := []feedItem{
		{Title: "Budget passes", Categories: []string{"News"}, Published: now.Add(-3 * time.Minute)},
		{Title: "Quake downtown", Categories: []string{"Breaking"}, Published: now.Add(-1 * time.Minute)},
		{Title: "Rates hold", Categories: []string{"Business"}, Published: now.Add(-2 * time.Minute)},
		{Title: "Ad: new phones", Categories: []string{"Tech"}, Published: now.Add(-4 * time.Minute)},
	}
	for i := range stories {
		stories[i].Link = fmt.Sprintf("https://news.example/world/review-%d", i)
	}
	feed.set(stories)
	testkit.WaitFor(t, "4 held posts", 20*time.Second, func() bool { return d.running(t) && jobStates(t, d.db)[herald.JobHeld] == 4 })
	byTitle := map[string]int64{}
	for _, j := range listJobs(t, d.db) {
		byTitle[j.Article.Title] = j.ID
	}
	if out := d.herald(t, "queue", "--state", "held"); strings.Count(out, "held") < 4 {
		t.Errorf("herald queue --state held lists:\n%s", out)
	}
	if n := len(e.x.PostsByUser(e.users["x_one"].ID)); n != 0 {
		t.Fatalf("%d posts went out before any approval", n)
	}

	// Reviewed while the daemon is stopped, so that all go out together.
	d.halt(t)
	id := func(title string) string { return strconv.FormatInt(byTitle[title], 10) }
	if out := d.herald(t, "queue", "approve", id("Rates hold"), "--text", "Rates: the bank waits"); !strings.HasPrefix(out, "Approved job") {
		t.Errorf("approve: %q", out)
	}
	if out := d.herald(t, "queue", "reject", id("Ad: new phones")); !strings.HasPrefix(out, "Rejected job") {
		t.Errorf("reject: %q", out)
	}
	if out := d.herald(t, "queue", "approve", "--all"); out != "Approved 2 held posts: pending, in their place in the queue.\n" {
		t.Errorf("approve --all: %q", out)
	}
	d.restart(t)
	testkit.WaitFor(t, "3 posts sent", 20*time.Second, func() bool { return d.running(t) && jobStates(t, d.db)[herald.JobSent] == 3 })

	var got []string
	for _, p := range e.x.PostsByUser(e.users["x_one"].ID) {
		got = append(got, p.Text)
	}
	want := []string{
		"Quake downtown " + canonical(stories[1].Link),
		"Budget passes " + canonical(stories[0].Link),
		"Rates: the bank waits " + canonical(stories[2].Link),
	}
	// Breaking first, then by publication (oldest first).
	if !slices.Equal(got, want) {
		t.Errorf("posts %q, want %q", got, want)
	}
	j := jobOf(t, d.db, byTitle["Ad: new phones"])
	if j.State != herald.JobSkipped || j.SkipReason != herald.SkipRejected {
		t.Errorf("rejected post: %s %q", j.State, j.SkipReason)
	}
}

// TestReviewTimeoutSends checks publish.review_timeout with action send:
// a held post nobody reviews goes out once the timeout has passed.
func TestReviewTimeoutSends(t *testing.T) {
	t.Parallel()
	_, feed, d := startReviewDaemon(t, "publish: {review_timeout: 1s, review_timeout_action: send}\n")
	feed.set([]feedItem{{Title: "Late review", Link: "https://news.example/world/late", Published: time.Now()}})
	testkit.WaitFor(t, "the post sent after the timeout", 20*time.Second, func() bool {
		return d.running(t) && jobStates(t, d.db)[herald.JobSent] == 1
	})
	if len(d.logs.entries("review: held posts sent after review_timeout")) != 1 {
		t.Errorf("the post was not released by the review timeout:\n%s", d.logs.tail(20))
	}
}

// restart runs `herald run` again on the daemon's configuration and
// database, once it has stopped.
func (d *intakeDaemon) restart(t *testing.T) {
	t.Helper()
	<-d.exit
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go func() { d.exit <- cli.Execute(ctx, []string{"--config", d.cfg, "run"}, io.Discard, d.logs) }()
}

// jobOf returns job id of the database at path.
func jobOf(t *testing.T, path string, id int64) herald.Job {
	t.Helper()
	for _, j := range listJobs(t, path) {
		if j.ID == id {
			return j
		}
	}
	t.Fatalf("job %d not found", id)
	return herald.Job{}
}

// TestReviewTwoInstancesPostOnce is issue "newsroom controls" acceptance
// 2 on a shared PostgreSQL: two `herald run` instances hold the posts of
// an account with review: true; two editors approve each post at the same
// moment; one approval wins, and every story is posted exactly once.
func TestReviewTwoInstancesPostOnce(t *testing.T) {
	t.Parallel()
	needBinary(t)
	site := newMultiSite(t, newXAccounts(1), 0, "wire")
	x, feeds := site.x, site.feeds
	cfg := site.write(t, multiConfig{interval: 200 * time.Millisecond})
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body = bytes.Replace(body, []byte("daily_cap: 0}"), []byte("daily_cap: 0, review: true}"), 1)
	if err := os.WriteFile(cfg, body, 0o600); err != nil {
		t.Fatal(err)
	}
	site.startInstances(t, cfg, "n", 2)
	db := openPG(t, site.dsn)
	ctx := context.Background()
	testkit.WaitFor(t, "the feed's backlog recorded", 30*time.Second, func() bool {
		s, err := db.GetSource(ctx, "wire")
		return err == nil && s.Seeded
	})
	const n = 5
	now := time.Now()
	for i := range n {
		feeds.add("wire", story{Title: fmt.Sprintf("Reviewed story %d", i), Link: fmt.Sprintf("https://news.example/wire/reviewed-%d", i),
			Published: now.Add(time.Duration(i) * time.Second)})
	}
	held := func() []herald.Job {
		js, err := db.ListJobs(ctx, herald.JobFilter{States: []herald.JobState{herald.JobHeld}})
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	testkit.WaitFor(t, "every post held", 30*time.Second, func() bool { return len(held()) == n })
	if len(x.Posts()) != 0 {
		t.Fatalf("%d posts went out before any approval", len(x.Posts()))
	}

	for _, j := range held() {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for k := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var out, errOut bytes.Buffer
				codes[k] = cli.Execute(ctx, []string{"--config", cfg, "queue", "approve", strconv.FormatInt(j.ID, 10)}, &out, &errOut)
			}()
		}
		wg.Wait()
		if won := strings.Count(fmt.Sprint(codes), "0"); won != 1 {
			t.Errorf("job %d: exit statuses %v, want one approval", j.ID, codes)
		}
	}
	testkit.WaitFor(t, "every story posted", 30*time.Second, func() bool {
		c, err := db.CountJobs(ctx, "")
		return err == nil && c[herald.JobSent] == n
	})
	texts := map[string]int{}
	for _, p := range x.Posts() {
		texts[p.Text]++
	}
	if len(x.Posts()) != n || len(texts) != n {
		t.Errorf("%d posts (%d distinct), want %d, each once: %v", len(x.Posts()), len(texts), n, texts)
	}
}

package e2e

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// TestReviewHoldsPostsUntilApproved is issue "newsroom controls"
// acceptance 2 (CLI): the posts of a source with review: true are held,
// none goes out until approved; approved, they go out in their order
// (breaking first, then by publication), one with the text an editor gave;
// a rejected one never goes out.
func TestReviewHoldsPostsUntilApproved(t *testing.T) {
	t.Parallel()
	e := startEmulations(t)
	feed := startItemFeed(t)
	d := startIntakeDaemon(t, e, worldSource(feed, "targets: [x_one], review: true"),
		"publish: {breaking_categories: [Breaking]}\n")

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
	e := startEmulations(t)
	feed := startItemFeed(t)
	d := startIntakeDaemon(t, e, worldSource(feed, "targets: [x_one], review: true"),
		"publish: {review_timeout: 1s, review_timeout_action: send}\n")
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

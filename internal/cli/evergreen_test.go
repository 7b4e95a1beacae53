package cli

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/evergreen"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank/ranktest"
)

// evergreenDesk has stories that every rule of the selection treats
// differently; score is likes plus three times a tenth of them (retweets).
func evergreenDesk(t *testing.T, extra string) *desk {
	t.Helper()
	d := newDesk(t, "", extra,
		deskStory{key: "young", section: "mexico", age: 1 * day, likes: 900},                                      // under --min-age
		deskStory{key: "top", section: "mexico", age: 10 * day, likes: 800, targets: []string{ranktest.XAccount}}, // first, on x_main only
		deskStory{key: "live", section: "business", age: 8 * day, likes: 700},                                     // time_bound: true
		deskStory{key: "weather", section: "world", age: 6 * day, likes: 600},                                     // --exclude-section world
		deskStory{key: "reshared", section: "mexico", age: 12 * day, likes: 500},                                  // reshared 5 days ago
		deskStory{key: "second", section: "mexico", age: 7 * day, likes: 400},                                     // second, on both
		deskStory{key: "third", section: "mexico", age: 20 * day, likes: 300},
		deskStory{key: "old", section: "mexico", age: 45 * day, likes: 9000}, // outside --since
	)
	d.record(t, d.id("reshared"), ranktest.XAccount, d.now.Add(-5*day), herald.Outcome{State: herald.JobSent})
	return d
}

func titles(rows []repostRow) []string {
	return pluck(rows, func(r repostRow) string { return strings.TrimPrefix(r.Title, "Story ") + "/" + r.Account })
}

func TestRepostTopReshareTheBestEligible(t *testing.T) {
	d := evergreenDesk(t, "")
	out, errOut := fails(t, d.cfg, ExitOK, []string{"repost", "--top", "2", "--since", "30d", "--by", "score",
		"--min-age", "3d", "--exclude-section", "world", "--yes", "--format", "json"})
	rows := repostRows(t, out)
	if got, want := titles(rows), []string{"top/x_main", "second/fb_page", "second/x_main"}; !slices.Equal(got, want) {
		t.Fatalf("reshared %v, want %v\nstderr:\n%s", got, want, errOut)
	}
	for _, r := range rows {
		if r.State != "sent" || r.Seq != 1 || !strings.HasPrefix(r.Text, "ICYMI: ") {
			t.Errorf("%+v: want sent, seq 1, the repost template", r)
		}
	}
	for _, want := range []string{
		`Skipped "Story young": published 1d ago (min age 3d).`,
		`Skipped "Story live": section business is time-bound.`,
		`Skipped "Story weather": section world is excluded.`,
		`Skipped "Story reshared": reshared 5d ago (min gap 30d).`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "Story old") || strings.Contains(errOut, "Story third") {
		t.Errorf("stories outside the window or below the picks were judged:\n%s", errOut)
	}

	// Next: what was just reshared waits out the gap; a smaller gap lets the
	// story reshared five days ago in. A dry run creates nothing.
	out, _ = fails(t, d.cfg, ExitOK, []string{"repost", "--top", "5", "--min-gap", "4d", "--exclude-section", "world",
		"--dry-run", "--format", "json"})
	rows = repostRows(t, out)
	if got, want := titles(rows), []string{"reshared/fb_page", "reshared/x_main", "third/fb_page", "third/x_main"}; !slices.Equal(got, want) {
		t.Errorf("dry run picks %v, want %v", got, want)
	}
	if len(rows) > 0 && (rows[0].State != "dry-run" || rows[0].JobID != 0 || rows[0].Text != "ICYMI: Story reshared") { // fb_page: the link goes beside the message
		t.Errorf("dry run row %+v", rows[0])
	}
	if n := len(d.jobs(t, d.id("third"))); n != 2 {
		t.Errorf("a dry run created jobs: story third has %d", n)
	}

	// --account puts every pick on the accounts named; --in delays them.
	out, _ = fails(t, d.cfg, ExitOK, []string{"repost", "--top", "1", "--min-gap", "4d", "--exclude-section", "world", "--account", "fb_page",
		"--in", "1h", "--yes", "--format", "json"})
	rows = repostRows(t, out)
	if len(rows) != 1 || rows[0].Account != "fb_page" || rows[0].State != "pending" || rows[0].Title != "Story reshared" {
		t.Errorf("--account fb_page --in 1h: %+v", rows)
	}
}

func TestRepostTopFollowsTheConfiguration(t *testing.T) {
	// evergreen: keys are the defaults of the flags.
	d := evergreenDesk(t, "evergreen: {min_gap: 96h, min_age: 12h, exclude_sections: [world], by: reactions}\n")
	out, _ := fails(t, d.cfg, ExitOK, []string{"repost", "--top", "3", "--dry-run", "--format", "json"})
	got := titles(repostRows(t, out))
	want := []string{"young/fb_page", "young/x_main", "top/x_main", "reshared/fb_page", "reshared/x_main"}
	if !slices.Equal(got, want) {
		t.Errorf("picks %v, want %v", got, want)
	}
	out, _ = fails(t, d.cfg, ExitOK, []string{"repost", "--top", "1", "--min-age", "0", "--min-gap", "0", "--dry-run"})
	if !strings.Contains(out, "Story young") {
		t.Errorf("--min-age 0 --min-gap 0:\n%s", out)
	}
}

func TestEvergreenSchedulerFromTheConfiguration(t *testing.T) {
	d := evergreenDesk(t, "evergreen: {schedule: \"0 10 * * 1-5\", count: 2, min_gap: 720h, exclude_sections: [world]}\n")
	a := NewApp(&bytes.Buffer{}, &bytes.Buffer{})
	if err := NewRoot(a).PersistentFlags().Parse([]string{"-c", d.cfg}); err != nil {
		t.Fatal(err)
	}
	cfg, err := a.Config()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	woken := 0
	s, err := newEvergreenScheduler(cfg, d.w.Store, func() { woken++ }, nil)
	if err != nil || s == nil {
		t.Fatalf("scheduler %v, %v", s, err)
	}
	tick := s.Next(d.now)
	if tick.Weekday() == time.Saturday || tick.Weekday() == time.Sunday || tick.Hour() != 10 || tick.Minute() != 0 {
		t.Errorf("next tick %s, want a weekday at 10:00", tick)
	}
	jobs, err := s.Tick(ctx, tick)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, strings.TrimPrefix(j.Article.Title, "Story ")+"/"+j.Account)
		if j.Kind != herald.KindRepost || j.State != herald.JobPending {
			t.Errorf("job %+v: want a pending repost", j)
		}
	}
	if want := []string{"top/x_main", "second/fb_page", "second/x_main"}; !slices.Equal(got, want) || woken != 1 {
		t.Errorf("tick created %v (woke %d), want %v", got, woken, want)
	}

	cfg.Evergreen.Schedule = ""
	if s, err := newEvergreenScheduler(cfg, d.w.Store, nil, nil); s != nil || err != nil {
		t.Errorf("schedule off: %v, %v; want nil", s, err)
	}
	if err := (*evergreen.Scheduler)(nil).Run(ctx); err != nil {
		t.Errorf("a nil scheduler runs: %v", err)
	}
}

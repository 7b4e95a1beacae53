package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// intakeTests check that a store persists what the intake rules decided:
// posts recorded skipped with their reason, and the flood limit.
var intakeTests = []test{
	{"SkippedPosts", func(t *testing.T, f *fixture) {
		it := story("https://example.com/opinion", xMain, fbPage)
		it.Skip = map[string]string{fbPage: "filtered (exclude categories: Opinion)"}
		r := f.save(mexico, t0, it)[0]
		equal(t, "jobs", len(r.Jobs), 2)
		byAccount := map[string]herald.Job{}
		for _, id := range r.Jobs {
			j := f.job(id)
			byAccount[j.Account] = j
		}
		equal(t, "x_main state", byAccount[xMain].State, herald.JobPending)
		equal(t, "fb_page state", byAccount[fbPage].State, herald.JobSkipped)
		equal(t, "fb_page reason", byAccount[fbPage].SkipReason, "filtered (exclude categories: Opinion)")
		equal(t, "claimed", len(f.claim("o", t0, xMain, fbPage)), 1)
		f.must(f.RetryJob(f.ctx, byAccount[fbPage].ID, t0))
		equal(t, "retried state", f.job(byAccount[fbPage].ID).State, herald.JobPending)
	}},
	{"Flood", func(t *testing.T, f *fixture) {
		items := make([]herald.ArticleInput, 30)
		for i := range items {
			items[i] = story(fmt.Sprintf("https://example.com/flood/%d", i), xMain)
			items[i].PublishedAt = t0.Add(-time.Duration(i) * time.Minute) // newest first
			items[i].MaxNew = 10
		}
		rs := f.save(mexico, t0, items...)
		for i, r := range rs {
			equal(t, fmt.Sprintf("item %d flood", i), r.Flood, i >= 10)
			equal(t, fmt.Sprintf("item %d jobs", i), len(r.Jobs), 1)
			want, reason := herald.JobPending, ""
			if i >= 10 {
				want, reason = herald.JobSkipped, herald.SkipFlood
			}
			j := f.job(r.Jobs[0])
			equal(t, fmt.Sprintf("item %d state", i), j.State, want)
			equal(t, fmt.Sprintf("item %d reason", i), j.SkipReason, reason)
		}
		c, err := f.CountJobs(f.ctx, xMain)
		f.must(err)
		equal(t, "pending", c[herald.JobPending], 10)
		equal(t, "skipped", c[herald.JobSkipped], 20)
		for source, want := range map[string]int{"": 20, mexico: 20, business: 0} {
			n, err := f.CountFlood(f.ctx, source)
			f.must(err)
			equal(t, "CountFlood("+source+")", n, want)
		}

		n, err := f.RetryFlood(f.ctx, business, t0)
		f.must(err)
		equal(t, "released from another source", n, 0)
		n, err = f.RetryFlood(f.ctx, mexico, t0.Add(time.Minute))
		f.must(err)
		equal(t, "released", n, 20)
		c, err = f.CountJobs(f.ctx, xMain)
		f.must(err)
		equal(t, "pending after release", c[herald.JobPending], 30)
		j := f.job(rs[29].Jobs[0])
		equal(t, "released reason", j.SkipReason, "")
		sameTime(t, "released due", j.NextAttemptAt, t0.Add(time.Minute))
		left, err := f.CountFlood(f.ctx, "")
		f.must(err)
		equal(t, "CountFlood after release", left, 0)
	}},
	{"FloodCountsNewStoriesOnly", func(t *testing.T, f *fixture) {
		var known []herald.ArticleInput
		for i := range 5 {
			known = append(known, story(fmt.Sprintf("https://example.com/known/%d", i), xMain))
		}
		f.save(mexico, t0, known...)
		batch := append([]herald.ArticleInput(nil), known...)
		for i := range 3 {
			it := story(fmt.Sprintf("https://example.com/fresh/%d", i), xMain)
			it.PublishedAt = t0.Add(-time.Duration(i+1) * time.Second)
			batch = append(batch, it)
		}
		for i := range batch {
			batch[i].MaxNew = 2
			batch[i].Title += " (edited)"
		}
		rs := f.save(mexico, t0.Add(time.Minute), batch...)
		flooded := 0
		for i, r := range rs {
			if r.Flood {
				flooded++
				equal(t, "flooded item", i, 7) // the oldest of the new ones
			}
		}
		equal(t, "flooded", flooded, 1)
	}},
	{"OlderEditNotApplied", func(t *testing.T, f *fixture) {
		const url = "https://example.com/edited"
		edit := func(title string, updated time.Time) herald.ArticleInput {
			it := story(url, xMain)
			it.Title, it.UpdatedAt = title, updated
			return it
		}
		t1, t2, t3 := t0.Add(-30*time.Minute), t0.Add(-20*time.Minute), t0.Add(-10*time.Minute)
		stored := func(what, title string, edited time.Time) {
			t.Helper()
			a, err := f.FindArticle(f.ctx, url)
			f.must(err)
			equal(t, what+": title", a.Title, title)
			sameTime(t, what+": source edit time", a.SourceUpdatedAt, edited)
		}
		first := f.save(mexico, t0, edit("Second version", t2))[0]
		equal(t, "new", first.New, true)
		sameTime(t, "saved source edit time", first.Article.SourceUpdatedAt, t2)
		stored("new", "Second version", t2)

		older := f.save(mexico, t0.Add(time.Minute), edit("First version", t1))[0]
		equal(t, "older: same article", older.Article.ID, first.Article.ID)
		equal(t, "older: updated", older.Updated, false)
		if !strings.HasPrefix(older.EditSkipped, herald.SkipStaleEdit+": ") {
			t.Errorf("older edit: EditSkipped %q, want the %q reason", older.EditSkipped, herald.SkipStaleEdit)
		}
		equal(t, "older: result title", older.Article.Title, "Second version")
		stored("after an older edit", "Second version", t2)

		same := f.save(mexico, t0.Add(2*time.Minute), edit("Second version, fixed", t2))[0]
		equal(t, "same time: updated", same.Updated, true)
		equal(t, "same time: skipped", same.EditSkipped, "")
		undated := f.save(mexico, t0.Add(3*time.Minute), edit("Undated", time.Time{}))[0]
		equal(t, "undated: updated", undated.Updated, true)
		stored("after an undated edit", "Undated", t2)

		// A later edit that changes nothing Herald keeps still moves the
		// source edit time, so that what it replaced cannot come back.
		moved := f.save(mexico, t0.Add(4*time.Minute), edit("Undated", t3))[0]
		equal(t, "only the time: updated", moved.Updated, false)
		stored("after a later edit of the same fields", "Undated", t3)
		back := f.save(mexico, t0.Add(5*time.Minute), edit("Second version, fixed", t2))[0]
		equal(t, "back: skipped", back.EditSkipped != "", true)
		stored("after an edit older than the time alone moved", "Undated", t3)

		// In one call, in delivery order: the later edit first, then an older one.
		rs := f.save(mexico, t0.Add(6*time.Minute), edit("Fifth", t0.Add(-2*time.Minute)), edit("Fourth", t0.Add(-3*time.Minute)))
		equal(t, "batch: first applied", rs[0].Updated && rs[0].EditSkipped == "", true)
		equal(t, "batch: second skipped", rs[1].EditSkipped != "", true)
		stored("after a batch", "Fifth", t0.Add(-2*time.Minute))

		// An older edit carried by another source still links the story to it.
		other := f.save(business, t0.Add(7*time.Minute), edit("Business copy", t1))[0]
		equal(t, "other source: skipped", other.EditSkipped != "", true)
		equalSlice(t, "other source: sections", other.Article.Sections, []string{mexico, business})
		stored("after another source's older edit", "Fifth", t0.Add(-2*time.Minute))
		js, err := f.ListJobs(f.ctx, herald.JobFilter{})
		f.must(err)
		equal(t, "jobs", len(js), 1)
	}},
	{"ConcurrentEditsKeepTheLatest", func(t *testing.T, f *fixture) {
		// Edits of one article saved at once (instances sharing the
		// database, each given one): whatever the order they commit in,
		// the one the source edited last is what stays.
		const url = "https://example.com/raced"
		f.save(mexico, t0, story(url, xMain))
		id := f.src(mexico)
		for round := range 5 {
			const writers = 8
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for i := range writers {
				it := story(url, xMain)
				it.Title = fmt.Sprintf("round %d edit %d", round, i)
				it.UpdatedAt = t0.Add(time.Duration(round*writers+i) * time.Second)
				wg.Go(func() {
					_, err := f.SaveArticles(f.ctx, id, []herald.ArticleInput{it}, t0)
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				f.must(err)
			}
			a, err := f.FindArticle(f.ctx, url)
			f.must(err)
			equal(t, fmt.Sprintf("round %d: title", round), a.Title, fmt.Sprintf("round %d edit %d", round, writers-1))
		}
	}},
}

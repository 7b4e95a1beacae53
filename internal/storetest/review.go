package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// reviewTests check the posts held for review: never claimed while held,
// approved in their place (priority and publication order kept, with an
// edited text), rejected, released by the review timeout, and approved
// once when two callers race.
var reviewTests = []test{
	{"HeldUntilApproved", func(t *testing.T, f *fixture) {
		older := story("https://example.com/held/older", xMain)
		older.PublishedAt = t0.Add(-2 * time.Hour)
		older.Hold = map[string]bool{xMain: true}
		breaking := story("https://example.com/held/breaking", xMain)
		breaking.Priority = herald.PriorityBreaking
		breaking.Hold = map[string]bool{xMain: true}
		plain := story("https://example.com/held/plain", xMain)
		plain.PublishedAt = t0.Add(-3 * time.Hour)
		rs := f.save(mexico, t0, older, breaking, plain)
		olderID, breakingID, plainID := rs[0].Jobs[0], rs[1].Jobs[0], rs[2].Jobs[0]
		equal(t, "held state", f.job(olderID).State, herald.JobHeld)
		c, err := f.CountJobs(f.ctx, "")
		f.must(err)
		equal(t, "held count", c[herald.JobHeld], 2)
		equalSlice(t, "claimed while held", ids(f.claim("o", t0, xMain)), []int64{plainID})
		f.must(f.FinishJob(f.ctx, plainID, "o", herald.Outcome{State: herald.JobSkipped, SkipReason: herald.SkipDryRun}, t0))

		f.must(f.ApproveJob(f.ctx, olderID, "Edited by the desk", t0.Add(time.Minute)))
		errIs(t, "approve twice", f.ApproveJob(f.ctx, olderID, "", t0), herald.ErrConflict)
		errIs(t, "approve missing", f.ApproveJob(f.ctx, 999999, "", t0), herald.ErrNotFound)
		n, err := f.ApproveHeld(f.ctx, "", t0.Add(time.Minute))
		f.must(err)
		equal(t, "approved all", n, 1)
		// Breaking first, then by publication: the order they had.
		equalSlice(t, "claim order", ids(f.claim("o", t0.Add(2*time.Minute), xMain)), []int64{breakingID, olderID})
		j := f.job(olderID)
		equal(t, "edited text", j.Text, "Edited by the desk")
		equal(t, "breaking kept", f.job(breakingID).Priority, herald.PriorityBreaking)
	}},
	{"Reject", func(t *testing.T, f *fixture) {
		it := story("https://example.com/held/reject", xMain)
		it.Hold = map[string]bool{xMain: true}
		id := f.save(mexico, t0, it)[0].Jobs[0]
		f.must(f.RejectJob(f.ctx, id, t0))
		j := f.job(id)
		equal(t, "state", j.State, herald.JobSkipped)
		equal(t, "reason", j.SkipReason, herald.SkipRejected)
		errIs(t, "reject twice", f.RejectJob(f.ctx, id, t0), herald.ErrConflict)
		errIs(t, "approve rejected", f.ApproveJob(f.ctx, id, "", t0), herald.ErrConflict)
	}},
	{"ReviewTimeout", func(t *testing.T, f *fixture) {
		early := story("https://example.com/held/early", xMain)
		early.Hold = map[string]bool{xMain: true}
		late := story("https://example.com/held/late", xMain)
		late.Hold = map[string]bool{xMain: true}
		earlyID := f.save(mexico, t0, early)[0].Jobs[0]
		lateID := f.save(mexico, t0.Add(time.Hour), late)[0].Jobs[0]
		n, err := f.ReleaseHeld(f.ctx, t0.Add(30*time.Minute), false, t0.Add(2*time.Hour))
		f.must(err)
		equal(t, "released", n, 1)
		equal(t, "early sent on", f.job(earlyID).State, herald.JobPending)
		equal(t, "late still held", f.job(lateID).State, herald.JobHeld)
		n, err = f.ReleaseHeld(f.ctx, t0.Add(time.Hour), true, t0.Add(2*time.Hour))
		f.must(err)
		equal(t, "dropped", n, 1)
		j := f.job(lateID)
		equal(t, "late state", j.State, herald.JobSkipped)
		equal(t, "late reason", j.SkipReason, herald.SkipReviewTimeout)
	}},
	{"StoryInstructions", func(t *testing.T, f *fixture) {
		it := story("https://example.com/held/later", xMain, fbPage)
		it.Text = map[string]string{xMain: "Our own words"}
		it.Story.PostAt = t0.Add(3 * time.Hour)
		it.Skip = map[string]string{fbPage: herald.SkipNoPost}
		rs := f.save(mexico, t0, it)[0]
		byAccount := map[string]herald.Job{}
		for _, id := range rs.Jobs {
			j := f.job(id)
			byAccount[j.Account] = j
		}
		equal(t, "text", byAccount[xMain].Text, "Our own words")
		sameTime(t, "due", byAccount[xMain].NextAttemptAt, t0.Add(3*time.Hour))
		equal(t, "no_post", byAccount[fbPage].SkipReason, herald.SkipNoPost)
		equal(t, "claimed before due", len(f.claim("o", t0, xMain)), 0)
		equal(t, "claimed when due", len(f.claim("o", t0.Add(3*time.Hour), xMain)), 1)
	}},
	{"ApproveRace", func(t *testing.T, f *fixture) {
		it := story("https://example.com/held/race", xMain)
		it.Hold = map[string]bool{xMain: true}
		id := f.save(mexico, t0, it)[0].Jobs[0]
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = f.ApproveJob(f.ctx, id, "", t0)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				errIs(t, "loser", err, herald.ErrConflict)
			}
		}
		equal(t, "approvals that won", won, 1)
	}},
}

package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var jobTests = []test{
	{"CreateJob", func(t *testing.T, f *fixture) {
		r := f.article("https://example.com/a", t0.Add(-time.Hour), xMain)
		j, err := f.CreateJob(f.ctx, herald.NewJob{ArticleID: r.Article.ID, Account: xMain, Kind: herald.KindRepost,
			Template: "ICYMI: {{.Title}} {{.URL}}", Priority: herald.PriorityBreaking}, t0)
		f.must(err)
		equal(t, "seq", j.Seq, 1)
		equal(t, "kind", j.Kind, herald.KindRepost)
		equal(t, "state", j.State, herald.JobPending)
		equal(t, "template", j.Template, "ICYMI: {{.Title}} {{.URL}}")
		equal(t, "priority", j.Priority, herald.PriorityBreaking)
		equal(t, "network", j.Network, herald.Twitter)
		sameTime(t, "due now", j.NextAttemptAt, t0)
		sameTime(t, "created", j.CreatedAt, t0)
		if j.Article == nil || j.Article.ID != r.Article.ID {
			t.Errorf("article = %+v", j.Article)
		}
		later, err := f.CreateJob(f.ctx, herald.NewJob{ArticleID: r.Article.ID, Account: xMain, Kind: herald.KindAdhoc,
			Text: "Hand-written", DueAt: t0.Add(2 * time.Hour)}, t0)
		f.must(err)
		equal(t, "next seq", later.Seq, 2)
		equal(t, "text", later.Text, "Hand-written")
		sameTime(t, "due later", later.NextAttemptAt, t0.Add(2*time.Hour))
		sameTime(t, "scheduled later", later.ScheduledAt, t0.Add(2*time.Hour))
		if later.ShortCode == "" || later.ShortCode == j.ShortCode {
			t.Errorf("short codes %q and %q", j.ShortCode, later.ShortCode)
		}
		other, err := f.CreateJob(f.ctx, herald.NewJob{ArticleID: r.Article.ID, Account: fbPage}, t0)
		f.must(err)
		equal(t, "seq on another account", other.Seq, 1)
		equal(t, "default kind", other.Kind, herald.KindRepost)
		_, err = f.CreateJob(f.ctx, herald.NewJob{ArticleID: 1 << 40, Account: xMain}, t0)
		errIs(t, "CreateJob for a missing article", err, herald.ErrNotFound)
	}},
	{"GetAndList", func(t *testing.T, f *fixture) {
		a := f.article("https://example.com/a", t0.Add(-2*time.Hour), xMain, fbPage)
		b := f.article("https://example.com/b", t0.Add(-time.Hour), xMain)
		j := f.job(a.Jobs[0])
		if j.Article == nil || j.Article.URL != "https://example.com/a" {
			t.Fatalf("GetJob article = %+v", j.Article)
		}
		equalSlice(t, "job article sections", j.Article.Sections, []string{mexico})
		_, err := f.GetJob(f.ctx, 1<<40)
		errIs(t, "GetJob(missing)", err, herald.ErrNotFound)

		all, err := f.ListJobs(f.ctx, herald.JobFilter{})
		f.must(err)
		equalSlice(t, "all jobs newest first", ids(all), []int64{b.Jobs[0], a.Jobs[1], a.Jobs[0]})
		for _, x := range all {
			if x.Article == nil {
				t.Errorf("listed job %d has no article", x.ID)
			}
		}
		mine, err := f.ListJobs(f.ctx, herald.JobFilter{Account: xMain, Limit: 1})
		f.must(err)
		equalSlice(t, "x_main limit 1", ids(mine), []int64{b.Jobs[0]})
		byArticle, err := f.ListJobs(f.ctx, herald.JobFilter{ArticleID: a.Article.ID})
		f.must(err)
		equal(t, "jobs of a", len(byArticle), 2)

		f.sendAll(t0)
		f.must(f.CancelJob(f.ctx, f.mustCreate(b.Article.ID, fbPage).ID, t0))
		f.mustCreate(b.Article.ID, xTwo)
		sent, err := f.ListJobs(f.ctx, herald.JobFilter{States: []herald.JobState{herald.JobSent}})
		f.must(err)
		equal(t, "sent", len(sent), 3)
		some, err := f.ListJobs(f.ctx, herald.JobFilter{States: []herald.JobState{herald.JobSkipped, herald.JobPending}})
		f.must(err)
		equal(t, "skipped or pending", len(some), 2)

		counts, err := f.CountJobs(f.ctx, "")
		f.must(err)
		equal(t, "count sent", counts[herald.JobSent], 3)
		equal(t, "count skipped", counts[herald.JobSkipped], 1)
		equal(t, "count pending", counts[herald.JobPending], 1)
		equal(t, "count failed", counts[herald.JobFailed], 0)
		counts, err = f.CountJobs(f.ctx, xMain)
		f.must(err)
		equal(t, "x_main sent", counts[herald.JobSent], 2)
		equal(t, "x_main pending", counts[herald.JobPending], 0)
	}},
	{"FindByRemote", func(t *testing.T, f *fixture) {
		a := f.article("https://example.com/a", t0, xMain)
		sent := f.sendAll(t0)[a.Jobs[0]]
		for _, key := range []string{sent.RemoteID, sent.Permalink} {
			j, err := f.FindJobByRemote(f.ctx, key)
			f.must(err)
			equal(t, "FindJobByRemote("+key+")", j.ID, sent.ID)
		}
		_, err := f.FindJobByRemote(f.ctx, "nope")
		errIs(t, "FindJobByRemote(missing)", err, herald.ErrNotFound)
		_, err = f.FindJobByRemote(f.ctx, "")
		errIs(t, "FindJobByRemote(empty)", err, herald.ErrNotFound)
	}},
	{"NextDue", func(t *testing.T, f *fixture) {
		due, err := f.NextDue(f.ctx)
		f.must(err)
		sameTime(t, "nothing due", due, time.Time{})
		a := f.article("https://example.com/a", t0)
		f.mustCreateAt(a.Article.ID, xMain, t0.Add(3*time.Hour))
		f.mustCreateAt(a.Article.ID, fbPage, t0.Add(time.Hour))
		due, err = f.NextDue(f.ctx)
		f.must(err)
		sameTime(t, "next due", due, t0.Add(time.Hour))
	}},
	{"RetryAndCancel", func(t *testing.T, f *fixture) {
		a := f.article("https://example.com/a", t0, xMain, fbPage, xTwo)
		for _, j := range f.claim("o", t0, xMain, fbPage, xTwo) {
			f.must(f.StartAttempt(f.ctx, j.ID, "o", t0, time.Minute))
			f.must(f.FinishJob(f.ctx, j.ID, "o", herald.Outcome{State: herald.JobFailed, Error: "bad request",
				ErrorKind: herald.ErrPermanent, Attempted: true}, t0))
		}
		failed := a.Jobs[0]
		f.must(f.RetryJob(f.ctx, failed, t0.Add(time.Hour)))
		j := f.job(failed)
		equal(t, "retried state", j.State, herald.JobPending)
		equal(t, "attempts reset", j.Attempts, 0)
		sameTime(t, "due at retry", j.NextAttemptAt, t0.Add(time.Hour))
		errIs(t, "RetryJob of a pending job", f.RetryJob(f.ctx, failed, t0), herald.ErrConflict)
		errIs(t, "RetryJob(missing)", f.RetryJob(f.ctx, 1<<40, t0), herald.ErrNotFound)

		n, err := f.RetryFailed(f.ctx, t0.Add(2*time.Hour))
		f.must(err)
		equal(t, "RetryFailed", n, 2)
		n, err = f.RetryFailed(f.ctx, t0.Add(2*time.Hour))
		f.must(err)
		equal(t, "RetryFailed again", n, 0)

		f.must(f.CancelJob(f.ctx, failed, t0.Add(3*time.Hour)))
		j = f.job(failed)
		equal(t, "cancelled state", j.State, herald.JobSkipped)
		equal(t, "cancelled reason", j.SkipReason, herald.SkipCancelled)
		errIs(t, "CancelJob of a skipped job", f.CancelJob(f.ctx, failed, t0), herald.ErrConflict)
		errIs(t, "CancelJob(missing)", f.CancelJob(f.ctx, 1<<40, t0), herald.ErrNotFound)
		f.must(f.RetryJob(f.ctx, failed, t0.Add(4*time.Hour)))
		equal(t, "skipped job retried", f.job(failed).State, herald.JobPending)
		equal(t, "skip reason cleared", f.job(failed).SkipReason, "")

		// Cancelling a claimed job takes it from its claimer.
		claimed := f.claim("o", t0.Add(5*time.Hour), xMain)
		if len(claimed) != 1 {
			t.Fatalf("claimed %d, want 1", len(claimed))
		}
		f.must(f.CancelJob(f.ctx, claimed[0].ID, t0.Add(5*time.Hour)))
		errIs(t, "StartAttempt after cancel", f.StartAttempt(f.ctx, claimed[0].ID, "o", t0.Add(5*time.Hour), time.Minute),
			herald.ErrLeaseLost)
	}},
	{"MarkDeletedAndSentCount", func(t *testing.T, f *fixture) {
		rs := f.save(mexico, t0.Add(-25*time.Hour), story("https://example.com/a", xMain, fbPage),
			story("https://example.com/b", xMain))
		a, b := rs[0], rs[1]
		f.sendAll(t0.Add(-25 * time.Hour))
		f.mustCreate(b.Article.ID, xMain)
		f.sendAll(t0)
		n, err := f.SentCount(f.ctx, xMain, t0.Add(-24*time.Hour))
		f.must(err)
		equal(t, "x_main sent in 24h", n, 1)
		n, err = f.SentCount(f.ctx, xMain, time.Time{})
		f.must(err)
		equal(t, "x_main sent ever", n, 3)

		f.must(f.MarkDeleted(f.ctx, a.Jobs[0], t0.Add(time.Hour)))
		j := f.job(a.Jobs[0])
		sameTime(t, "deleted at", j.DeletedAt, t0.Add(time.Hour))
		posts, err := f.PostsToCollect(f.ctx, herald.PostFilter{})
		f.must(err)
		for _, p := range posts {
			if p.JobID == a.Jobs[0] {
				t.Error("a deleted post is still collected")
			}
		}
		pending := f.mustCreate(b.Article.ID, fbPage)
		errIs(t, "MarkDeleted of a pending job", f.MarkDeleted(f.ctx, pending.ID, t0), herald.ErrConflict)
		errIs(t, "MarkDeleted(missing)", f.MarkDeleted(f.ctx, 1<<40, t0), herald.ErrNotFound)
	}},
}

func (f *fixture) mustCreate(articleID int64, account string) herald.Job {
	f.t.Helper()
	return f.mustCreateAt(articleID, account, time.Time{})
}

func (f *fixture) mustCreateAt(articleID int64, account string, due time.Time) herald.Job {
	f.t.Helper()
	j, err := f.CreateJob(f.ctx, herald.NewJob{ArticleID: articleID, Account: account, DueAt: due}, t0)
	f.must(err)
	return j
}

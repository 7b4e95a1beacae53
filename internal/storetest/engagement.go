package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var engagementTests = []test{
	{"PostsToCollect", func(t *testing.T, f *fixture) {
		week := 8 * 24 * time.Hour
		a := f.save(mexico, t0.Add(-week), story("https://example.com/a", xMain, fbPage))[0]
		f.sendAll(t0.Add(-week))
		b := f.save(mexico, t0, story("https://example.com/b", xMain))[0]
		f.sendAll(t0)
		f.mustCreate(b.Article.ID, xTwo) // pending: not a post

		all := collect(t, f, herald.PostFilter{})
		equalSlice(t, "all posts by job ID", postIDs(all), []int64{a.Jobs[0], a.Jobs[1], b.Jobs[0]})
		p := all[2]
		equal(t, "article", p.ArticleID, b.Article.ID)
		equal(t, "account", p.Account, xMain)
		equal(t, "remote id", p.RemoteID, f.job(b.Jobs[0]).RemoteID)
		sameTime(t, "sent at", p.SentAt, t0)
		sameTime(t, "never collected", p.LastCollectedAt, time.Time{})

		young := collect(t, f, herald.PostFilter{SentAfter: t0.Add(-7 * 24 * time.Hour)})
		equalSlice(t, "sent in the last 7 days", postIDs(young), []int64{b.Jobs[0]})
		fb := collect(t, f, herald.PostFilter{Accounts: []string{fbPage, mOne}})
		equalSlice(t, "fb_page's", postIDs(fb), []int64{a.Jobs[1]})
		page := collect(t, f, herald.PostFilter{Limit: 2})
		equalSlice(t, "first page", postIDs(page), []int64{a.Jobs[0], a.Jobs[1]})
		page = collect(t, f, herald.PostFilter{Limit: 2, AfterJobID: page[1].JobID})
		equalSlice(t, "second page", postIDs(page), []int64{b.Jobs[0]})

		f.must(f.MarkRemoteGone(f.ctx, a.Jobs[0]))
		equal(t, "gone flag", f.job(a.Jobs[0]).RemoteGone, true)
		equalSlice(t, "gone posts are not collected", postIDs(collect(t, f, herald.PostFilter{})),
			[]int64{a.Jobs[1], b.Jobs[0]})
		errIs(t, "MarkRemoteGone(missing)", f.MarkRemoteGone(f.ctx, 1<<40), herald.ErrNotFound)
	}},
	{"SaveSnapshots", func(t *testing.T, f *fixture) {
		b := f.article("https://example.com/b", t0, xMain)
		f.sendAll(t0)
		id := b.Jobs[0]
		f.must(f.SaveSnapshots(f.ctx, []herald.Snapshot{
			{JobID: id, At: t0.Add(time.Hour), Engagement: herald.Engagement{Retweets: 5, Likes: 7, Impressions: 90}},
		}))
		// A reading older than the latest is stored but is not the latest.
		f.must(f.SaveSnapshots(f.ctx, []herald.Snapshot{
			{JobID: id, At: t0.Add(30 * time.Minute), Engagement: herald.Engagement{Retweets: 3}},
		}))
		j := f.job(id)
		equal(t, "latest retweets", j.Latest.Retweets, int64(5))
		equal(t, "latest likes", j.Latest.Likes, int64(7))
		equal(t, "latest impressions", j.Latest.Impressions, int64(90))
		posts := collect(t, f, herald.PostFilter{})
		sameTime(t, "last collected", posts[0].LastCollectedAt, t0.Add(time.Hour))
		listed, err := f.ListJobs(f.ctx, herald.JobFilter{ArticleID: b.Article.ID})
		f.must(err)
		equal(t, "listed latest", listed[0].Latest.Retweets, int64(5))
		err = f.SaveSnapshots(f.ctx, []herald.Snapshot{{JobID: 1 << 40, At: t0}})
		errIs(t, "snapshot of a missing job", err, herald.ErrNotFound)
		f.must(f.SaveSnapshots(f.ctx, nil))
	}},
	{"Clicks", func(t *testing.T, f *fixture) {
		b := f.article("https://example.com/b", t0, xMain)
		sent := f.sendAll(t0)[b.Jobs[0]]
		for i := range 2 {
			j, err := f.RecordClick(f.ctx, sent.ShortCode, t0.Add(time.Duration(i)*time.Minute))
			f.must(err)
			equal(t, "clicked job", j.ID, sent.ID)
			equal(t, "clicks", j.Clicks, int64(i+1))
			if j.Article == nil || j.Article.URL != "https://example.com/b" {
				t.Fatalf("clicked job's article = %+v", j.Article)
			}
		}
		equal(t, "stored clicks", f.job(sent.ID).Clicks, int64(2))
		_, err := f.RecordClick(f.ctx, "no-such", t0)
		errIs(t, "RecordClick(unknown code)", err, herald.ErrNotFound)
	}},
	// A short code is found without counting a click, so link-preview bots
	// can be redirected from any post, however old, without inflating its clicks.
	{"FindJobByShortCode", func(t *testing.T, f *fixture) {
		b := f.article("https://example.com/b", t0, xMain)
		job := f.job(b.Jobs[0])
		if job.ShortCode == "" {
			t.Fatalf("job %d has no short code", job.ID)
		}
		got, err := f.FindJobByShortCode(f.ctx, job.ShortCode)
		f.must(err)
		equal(t, "found job", got.ID, job.ID)
		if got.Article == nil || got.Article.URL != "https://example.com/b" {
			t.Fatalf("found job's article = %+v", got.Article)
		}
		_, err = f.RecordClick(f.ctx, job.ShortCode, t0)
		f.must(err)
		for range 3 {
			_, err := f.FindJobByShortCode(f.ctx, job.ShortCode)
			f.must(err)
		}
		equal(t, "clicks after one click and three look-ups", f.job(job.ID).Clicks, int64(1))
		_, err = f.FindJobByShortCode(f.ctx, "nosuchcode")
		errIs(t, "FindJobByShortCode(unknown code)", err, herald.ErrNotFound)
	}},
	{"Series", func(t *testing.T, f *fixture) {
		s := f.article("https://example.com/s", t0.Add(-4*time.Hour), xMain, fbPage)
		quiet := f.article("https://example.com/quiet", t0.Add(-4*time.Hour), xMain)
		f.sendAll(t0)
		x, fb := s.Jobs[0], s.Jobs[1]
		f.must(f.SaveSnapshots(f.ctx, []herald.Snapshot{
			{JobID: x, At: t0.Add(-3 * time.Hour), Engagement: herald.Engagement{Retweets: 1}},
			{JobID: fb, At: t0.Add(-2 * time.Hour), Engagement: herald.Engagement{Shares: 2, Reactions: 5}},
			{JobID: x, At: t0.Add(-time.Hour), Engagement: herald.Engagement{Retweets: 2, Quotes: 1, Likes: 4, Replies: 6}},
		}))
		type pt struct {
			at                          time.Duration
			shares, reactions, comments int64
		}
		check := func(since time.Time, want []pt) {
			t.Helper()
			got, err := f.Series(f.ctx, s.Article.ID, since)
			f.must(err)
			if len(got) != len(want) {
				t.Fatalf("Series since %v = %+v, want %d points", since, got, len(want))
			}
			for i, w := range want {
				sameTime(t, "point time", got[i].At, t0.Add(w.at))
				g := pt{w.at, got[i].Shares, got[i].Reactions, got[i].Comments}
				if g != w {
					t.Errorf("point %d = %+v, want %+v", i, g, w)
				}
			}
		}
		check(t0.Add(-4*time.Hour), []pt{{-3 * time.Hour, 1, 0, 0}, {-2 * time.Hour, 3, 5, 0}, {-time.Hour, 5, 9, 6}})
		// From a later start every post counts with its reading before it.
		check(t0.Add(-90*time.Minute), []pt{{-90 * time.Minute, 3, 5, 0}, {-time.Hour, 5, 9, 6}})
		got, err := f.Series(f.ctx, quiet.Article.ID, time.Time{})
		f.must(err)
		equal(t, "points of an article never read", len(got), 0)
	}},
}

func collect(t *testing.T, f *fixture, pf herald.PostFilter) []herald.Post {
	t.Helper()
	ps, err := f.PostsToCollect(f.ctx, pf)
	f.must(err)
	return ps
}

func postIDs(ps []herald.Post) []int64 {
	return mapped(ps, func(p herald.Post) int64 { return p.JobID })
}

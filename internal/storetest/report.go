package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// ranked is a report fixture: five stories with set figures.
//
//	      published  posts                 shares reactions comments clicks score
//	A     t0-5h      x_main + fb_page         15        70       13      2   143
//	B     t0-4h      x_main                   30         5        1      9   106
//	C     t0-3h      fb_page (business)        1       100       40      0   183
//	E     t0-2h      m_one                     7         3        2      0    28
//	D     t0-30h     x_main (outside 24h)   1000         0        0      0
type ranked struct {
	a, b, c, d, e herald.SaveResult
}

func (f *fixture) ranked() ranked {
	f.t.Helper()
	at := t0.Add(-6 * time.Hour)
	pub := func(url string, ago time.Duration, src string, targets ...string) herald.SaveResult {
		it := story(url, targets...)
		it.PublishedAt = t0.Add(-ago)
		return f.save(src, at, it)[0]
	}
	var r ranked
	r.a = pub("https://example.com/a", 5*time.Hour, mexico, xMain, fbPage)
	r.b = pub("https://example.com/b", 4*time.Hour, mexico, xMain)
	r.c = pub("https://example.com/c", 3*time.Hour, business, fbPage)
	r.e = pub("https://example.com/e", 2*time.Hour, mexico, mOne)
	r.d = pub("https://example.com/d", 30*time.Hour, mexico, xMain)
	link := story("https://example.com/a") // A is in business too
	link.Announce = false
	f.save(business, at, link)
	sent := f.sendAll(at)
	read := t0.Add(-time.Hour)
	f.must(f.SaveSnapshots(f.ctx, []herald.Snapshot{
		{JobID: r.a.Jobs[0], At: read, Engagement: herald.Engagement{Retweets: 10, Quotes: 2, Likes: 50, Replies: 5, Impressions: 1000}},
		{JobID: r.a.Jobs[1], At: read, Engagement: herald.Engagement{Shares: 3, Reactions: 20, Comments: 8}},
		{JobID: r.b.Jobs[0], At: read, Engagement: herald.Engagement{Retweets: 30, Likes: 5, Replies: 1}},
		{JobID: r.c.Jobs[0], At: read, Engagement: herald.Engagement{Shares: 1, Reactions: 100, Comments: 40}},
		{JobID: r.e.Jobs[0], At: read, Engagement: herald.Engagement{Shares: 7, Reactions: 3, Comments: 2}},
		{JobID: r.d.Jobs[0], At: read, Engagement: herald.Engagement{Retweets: 1000}},
	}))
	click := func(jobID int64, n int) {
		for range n {
			_, err := f.RecordClick(f.ctx, sent[jobID].ShortCode, t0.Add(-30*time.Minute))
			f.must(err)
		}
	}
	click(r.a.Jobs[0], 2)
	click(r.b.Jobs[0], 9)
	return r
}

func (f *fixture) report(q herald.ReportQuery) []herald.ReportRow {
	f.t.Helper()
	if q.Since.IsZero() {
		q.Since = t0.Add(-24 * time.Hour)
	}
	if q.Until.IsZero() {
		q.Until = t0
	}
	rows, err := f.Report(f.ctx, q)
	f.must(err)
	for i, r := range rows {
		if r.Rank != i+1 {
			f.t.Errorf("row %d has rank %d", i, r.Rank)
		}
	}
	return rows
}

func articleIDs(rows []herald.ReportRow) []int64 {
	return mapped(rows, func(r herald.ReportRow) int64 { return r.ArticleID })
}

var reportTests = []test{
	{"Order", func(t *testing.T, f *fixture) {
		r := f.ranked()
		a, b, c, e := r.a.Article.ID, r.b.Article.ID, r.c.Article.ID, r.e.Article.ID
		for _, tc := range []struct {
			q    herald.ReportQuery
			want []int64
		}{
			{herald.ReportQuery{}, []int64{b, a, e, c}},
			{herald.ReportQuery{By: "shares"}, []int64{b, a, e, c}},
			{herald.ReportQuery{By: "reactions"}, []int64{c, a, b, e}},
			{herald.ReportQuery{By: "comments"}, []int64{c, a, e, b}},
			{herald.ReportQuery{By: "clicks"}, []int64{b, a, e, c}}, // E and C tie: newer first
			{herald.ReportQuery{By: "score"}, []int64{c, a, b, e}},
			{herald.ReportQuery{By: "score", Weights: herald.Weights{Comments: 1, Clicks: 10}}, []int64{b, c, a, e}},
			{herald.ReportQuery{By: "shares", Network: herald.Twitter}, []int64{b, a}},
			{herald.ReportQuery{By: "reactions", Network: herald.Twitter}, []int64{a, b}},
			{herald.ReportQuery{By: "shares", Network: herald.Facebook}, []int64{a, c}},
			{herald.ReportQuery{By: "comments", Network: herald.Facebook}, []int64{c, a}},
			{herald.ReportQuery{By: "clicks", Network: herald.Facebook}, []int64{c, a}}, // no clicks: newer first
			{herald.ReportQuery{Network: herald.Mastodon}, []int64{e}},
			{herald.ReportQuery{Section: business}, []int64{a, c}},
			{herald.ReportQuery{Section: "nope"}, nil},
			{herald.ReportQuery{Limit: 2}, []int64{b, a}},
			{herald.ReportQuery{Since: t0.Add(-48 * time.Hour)}, []int64{r.d.Article.ID, b, a, e, c}},
			{herald.ReportQuery{Until: t0.Add(-270 * time.Minute)}, []int64{a}},
		} {
			equalSlice(t, "report "+describe(tc.q), articleIDs(f.report(tc.q)), tc.want)
		}
		if _, err := f.Report(f.ctx, herald.ReportQuery{By: "nonsense"}); err == nil {
			t.Error("Report accepted an unknown ranking")
		}
	}},
	{"Rows", func(t *testing.T, f *fixture) {
		r := f.ranked()
		rows := f.report(herald.ReportQuery{By: "score"})
		var a, e herald.ReportRow
		for _, row := range rows {
			switch row.ArticleID {
			case r.a.Article.ID:
				a = row
			case r.e.Article.ID:
				e = row
			}
		}
		equal(t, "rank", a.Rank, 2)
		equal(t, "title", a.Title, r.a.Article.Title)
		equal(t, "url", a.URL, "https://example.com/a")
		equal(t, "section", a.Section, mexico)
		sameTime(t, "published", a.PublishedAt, t0.Add(-5*time.Hour))
		equal(t, "score", a.Score, 143.0)
		equal(t, "shares", a.Shares, int64(15))
		equal(t, "reactions", a.Reactions, int64(70))
		equal(t, "comments", a.Comments, int64(13))
		equal(t, "clicks", a.Clicks, int64(2))
		equal(t, "impressions", a.Impressions, int64(1000))
		equal(t, "twitter", a.Twitter, struct {
			Retweets    int64 `json:"retweets"`
			Quotes      int64 `json:"quotes"`
			Likes       int64 `json:"likes"`
			Replies     int64 `json:"replies"`
			Impressions int64 `json:"impressions"`
		}{10, 2, 50, 5, 1000})
		equal(t, "facebook", a.Facebook, struct {
			Shares    int64 `json:"shares"`
			Reactions int64 `json:"reactions"`
			Comments  int64 `json:"comments"`
		}{3, 20, 8})
		equal(t, "no other networks", len(a.Other), 0)
		equal(t, "mastodon", e.Other[herald.Mastodon], herald.Engagement{Shares: 7, Reactions: 3, Comments: 2})
		equal(t, "score of E", e.Score, 28.0)
		custom := f.report(herald.ReportQuery{By: "score", Weights: herald.Weights{Comments: 1, Clicks: 10}})
		equal(t, "custom score of B", custom[0].Score, 91.0)
		tw := f.report(herald.ReportQuery{Network: herald.Twitter})
		equal(t, "A's shares on twitter", tw[1].Shares, int64(12))
		equal(t, "A's facebook figures left out", tw[1].Facebook.Reactions, int64(0))
	}},
	{"GoneAndDeletedLeftOut", func(t *testing.T, f *fixture) {
		r := f.ranked()
		f.must(f.MarkRemoteGone(f.ctx, r.b.Jobs[0]))
		f.must(f.MarkDeleted(f.ctx, r.c.Jobs[0], t0))
		equalSlice(t, "after B's post went and C's was deleted", articleIDs(f.report(herald.ReportQuery{})),
			[]int64{r.a.Article.ID, r.e.Article.ID})
		f.must(f.MarkRemoteGone(f.ctx, r.a.Jobs[1]))
		rows := f.report(herald.ReportQuery{By: "reactions"})
		equal(t, "A without its Facebook post", rows[0].Reactions, int64(50))
	}},
	{"Trending", func(t *testing.T, f *fixture) {
		at := t0.Add(-11 * time.Hour)
		p := story("https://example.com/p", xMain)
		p.PublishedAt = t0.Add(-10 * time.Hour)
		q := story("https://example.com/q", xMain)
		q.PublishedAt = t0.Add(-11 * time.Hour)
		rs := f.save(mexico, at, p, q)
		sent := f.sendAll(at)
		pj, qj := rs[0].Jobs[0], rs[1].Jobs[0]
		P, Q := rs[0].Article.ID, rs[1].Article.ID
		rt := func(job int64, ago time.Duration, n int64) herald.Snapshot {
			return herald.Snapshot{JobID: job, At: t0.Add(-ago), Engagement: herald.Engagement{Retweets: n}}
		}
		f.must(f.SaveSnapshots(f.ctx, []herald.Snapshot{
			rt(pj, 9*time.Hour, 10), rt(pj, time.Hour, 20), rt(pj, 0, 25),
			rt(qj, 9*time.Hour, 100), rt(qj, time.Hour, 105),
		}))
		// Clicks are counted to the hour: these are hours from the window's ends.
		_, err := f.RecordClick(f.ctx, sent[pj].ShortCode, t0.Add(-3*time.Hour))
		f.must(err)
		_, err = f.RecordClick(f.ctx, sent[qj].ShortCode, t0.Add(-10*time.Minute))
		f.must(err)

		since := t0.Add(-12 * time.Hour)
		equalSlice(t, "totals", articleIDs(f.report(herald.ReportQuery{Since: since})), []int64{Q, P})
		rows := f.report(herald.ReportQuery{Since: since, Trending: true})
		equalSlice(t, "trending", articleIDs(rows), []int64{P, Q})
		equal(t, "P gained", rows[0].Shares, int64(15))
		equal(t, "Q gained", rows[1].Shares, int64(5))
		rows = f.report(herald.ReportQuery{Since: since, Until: t0.Add(-30 * time.Minute), Trending: true})
		equal(t, "P gained until -30m", rows[0].Shares, int64(10))
		equal(t, "P's retweets gained until -30m", rows[0].Twitter.Retweets, int64(10))
		clicks := f.report(herald.ReportQuery{Since: since, Until: t0.Add(-2 * time.Hour), Trending: true, By: "clicks"})
		equalSlice(t, "trending clicks", articleIDs(clicks), []int64{P, Q})
		equal(t, "P's clicks in the window", clicks[0].Clicks, int64(1))
		equal(t, "Q's click after the window", clicks[1].Clicks, int64(0))
		// The window selects articles by publication, as without Trending.
		equal(t, "trending in a window after publication", len(f.report(herald.ReportQuery{
			Since: t0.Add(-2 * time.Hour), Trending: true})), 0)
	}},
}

func describe(q herald.ReportQuery) string {
	s := "by=" + q.By
	if q.Network != "" {
		s += " network=" + string(q.Network)
	}
	if q.Section != "" {
		s += " section=" + q.Section
	}
	if q.Limit != 0 {
		s += " limit"
	}
	if q.Weights != (herald.Weights{}) {
		s += " weights"
	}
	if !q.Since.IsZero() || !q.Until.IsZero() {
		s += " window"
	}
	return s
}

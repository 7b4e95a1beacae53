package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var viewTests = []test{
	{"RecordViewsCountsEachVisitorOncePerDay", testRecordViews},
	{"ViewSaltIsSharedAndForgetsOldVisitors", testViewSalt},
	{"ReportByViews", testReportByViews},
}

func visitor(s string) []byte { return []byte(fmt.Sprintf("%-16s", s)) }

func (f *fixture) views(want int, vs ...herald.View) {
	f.t.Helper()
	n, err := f.RecordViews(f.ctx, vs)
	f.must(err)
	if n != want {
		f.t.Errorf("RecordViews(%d views) counted %d, want %d", len(vs), n, want)
	}
}

func testRecordViews(t *testing.T, f *fixture) {
	a := f.article("https://example.com/a", t0.Add(-time.Hour)).Article.ID
	b := f.article("https://example.com/b", t0.Add(-time.Hour)).Article.ID
	day := herald.ViewDay(t0)
	f.views(3,
		herald.View{ArticleID: a, Day: day, Visitor: visitor("one")},
		herald.View{ArticleID: a, Day: day, Visitor: visitor("one")}, // same visitor, same day
		herald.View{ArticleID: a, Day: day, Visitor: visitor("two")},
		herald.View{ArticleID: b, Day: day, Visitor: visitor("one")},
		herald.View{ArticleID: b + a + 1000, Day: day, Visitor: visitor("one")}, // no such article
	)
	f.views(1,
		herald.View{ArticleID: a, Day: day, Visitor: visitor("two")},
		herald.View{ArticleID: a, Day: day + 1, Visitor: visitor("two")}, // the next day counts again
	)
	f.views(0)
	rows := f.report(herald.ReportQuery{By: "views", Until: t0.Add(48 * time.Hour)})
	equalSlice(t, "articles by views", articleIDs(rows), []int64{a, b})
	equal(t, "views of a", rows[0].Views, 3)
	equal(t, "views of b", rows[1].Views, 1)
}

func testViewSalt(t *testing.T, f *fixture) {
	day := herald.ViewDay(t0)
	s1, err := f.ViewSalt(f.ctx, day, []byte("first"))
	f.must(err)
	s2, err := f.ViewSalt(f.ctx, day, []byte("second"))
	f.must(err)
	if !bytes.Equal(s1, []byte("first")) || !bytes.Equal(s2, s1) {
		t.Errorf("salts of one day = %q, %q; want the first candidate twice", s1, s2)
	}
	a := f.article("https://example.com/a", t0.Add(-time.Hour)).Article.ID
	v := herald.View{ArticleID: a, Day: day, Visitor: visitor("one")}
	f.views(1, v)
	// The next day's salt keeps the previous day's visitors (clocks may
	// differ between instances)...
	_, err = f.ViewSalt(f.ctx, day+1, []byte("next"))
	f.must(err)
	f.views(0, v)
	// ...and the day after forgets them, and the old salt, but not the counts.
	_, err = f.ViewSalt(f.ctx, day+2, []byte("later"))
	f.must(err)
	f.views(1, v)
	s3, err := f.ViewSalt(f.ctx, day, []byte("again"))
	f.must(err)
	equal(t, "salt of a forgotten day", string(s3), "again")
	rows := f.report(herald.ReportQuery{By: "views", Until: t0.Add(72 * time.Hour)})
	equal(t, "rows", len(rows), 1)
	equal(t, "views counted", rows[0].Views, 2)
}

func testReportByViews(t *testing.T, f *fixture) {
	r := f.ranked()
	today, yesterday := herald.ViewDay(t0), herald.ViewDay(t0.Add(-24*time.Hour))
	view := func(id, day int64, n int) {
		vs := make([]herald.View, n)
		for i := range vs {
			vs[i] = herald.View{ArticleID: id, Day: day, Visitor: visitor(fmt.Sprint(i))}
		}
		f.views(n, vs...)
	}
	view(r.a.Article.ID, today, 2)
	view(r.b.Article.ID, today, 5)
	view(r.c.Article.ID, today, 1)
	view(r.c.Article.ID, yesterday, 6) // C: 7 in all, 1 today
	view(r.d.Article.ID, today, 50)    // published outside the window
	// E has shares but no views: not in the ranking by views.
	cases := []struct {
		name string
		q    herald.ReportQuery
		want []int64
		figs []int64
	}{
		{"all", herald.ReportQuery{By: "views"}, []int64{r.c.Article.ID, r.b.Article.ID, r.a.Article.ID}, []int64{7, 5, 2}},
		{"limit", herald.ReportQuery{By: "views", Limit: 2}, []int64{r.c.Article.ID, r.b.Article.ID}, []int64{7, 5}},
		{"section", herald.ReportQuery{By: "views", Section: business}, []int64{r.c.Article.ID, r.a.Article.ID}, []int64{7, 2}},
		{"network", herald.ReportQuery{By: "views", Network: herald.Twitter}, []int64{r.b.Article.ID, r.a.Article.ID}, []int64{5, 2}},
		{"trending", herald.ReportQuery{By: "views", Since: t0.Add(-6 * time.Hour), Trending: true},
			[]int64{r.b.Article.ID, r.a.Article.ID, r.c.Article.ID}, []int64{5, 2, 1}},
		{"unknown section", herald.ReportQuery{By: "views", Section: "nowhere"}, nil, nil},
	}
	for _, c := range cases {
		rows := f.report(c.q)
		equalSlice(t, c.name+": articles", articleIDs(rows), c.want)
		var figs []int64
		for _, row := range rows {
			figs = append(figs, row.Views)
		}
		equalSlice(t, c.name+": views", figs, c.figs)
	}
	// The other rankings show views beside shares.
	rows := f.report(herald.ReportQuery{By: "shares"})
	for _, row := range rows {
		want := map[int64]int64{r.a.Article.ID: 2, r.b.Article.ID: 5, r.c.Article.ID: 7}[row.ArticleID]
		equal(t, fmt.Sprintf("views of article %d ranked by shares", row.ArticleID), row.Views, want)
	}
	if rows[0].Title == "" {
		t.Error("rows ranked by views lack their titles")
	}
}

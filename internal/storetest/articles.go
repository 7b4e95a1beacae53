package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var articleTests = []test{
	{"New", func(t *testing.T, f *fixture) {
		it := story("https://example.com/a", xMain, fbPage)
		it.GUID, it.Author, it.ImageURL = "g-a", "Ana", "https://example.com/a.jpg"
		it.Categories = []string{"politics", "mexico"}
		r := f.save(mexico, t0, it)[0]
		equal(t, "new", r.New, true)
		equal(t, "updated", r.Updated, false)
		equal(t, "jobs", len(r.Jobs), 2)
		a := r.Article
		equal(t, "url", a.URL, it.URL)
		equal(t, "guid", a.GUID, "g-a")
		equal(t, "title", a.Title, it.Title)
		equal(t, "summary", a.Summary, it.Summary)
		equal(t, "author", a.Author, "Ana")
		equal(t, "image", a.ImageURL, it.ImageURL)
		equalSlice(t, "categories", a.Categories, it.Categories)
		equal(t, "section", a.Section, mexico)
		equalSlice(t, "sections", a.Sections, []string{mexico})
		sameTime(t, "published", a.PublishedAt, it.PublishedAt)
		sameTime(t, "first seen", a.FirstSeenAt, t0)
		equal(t, "stale", a.Stale, false)

		got, err := f.GetArticle(f.ctx, a.ID)
		f.must(err)
		equal(t, "GetArticle title", got.Title, a.Title)
		equalSlice(t, "GetArticle categories", got.Categories, it.Categories)
		equalSlice(t, "GetArticle sections", got.Sections, []string{mexico})
		byURL, err := f.FindArticle(f.ctx, it.URL)
		f.must(err)
		equal(t, "FindArticle", byURL.ID, a.ID)
		_, err = f.FindArticle(f.ctx, "https://example.com/none")
		errIs(t, "FindArticle(missing)", err, herald.ErrNotFound)
		_, err = f.GetArticle(f.ctx, 1<<40)
		errIs(t, "GetArticle(missing)", err, herald.ErrNotFound)

		for _, id := range r.Jobs {
			j := f.job(id)
			equal(t, "job state", j.State, herald.JobPending)
			equal(t, "job seq", j.Seq, 0)
			equal(t, "job kind", j.Kind, herald.KindPost)
			equal(t, "job article", j.ArticleID, a.ID)
			sameTime(t, "job due", j.NextAttemptAt, t0)
			sameTime(t, "job scheduled", j.ScheduledAt, t0)
			if j.ShortCode == "" {
				t.Error("job has no short code")
			}
		}
	}},
	{"SameURLTwice", func(t *testing.T, f *fixture) {
		first := f.save(mexico, t0, story("https://example.com/a", xMain))[0]
		again := f.save(mexico, t0.Add(time.Minute), story("https://example.com/a", xMain))[0]
		equal(t, "same article", again.Article.ID, first.Article.ID)
		equal(t, "new", again.New, false)
		equal(t, "updated", again.Updated, false)
		equal(t, "jobs", len(again.Jobs), 0)
		// Within one batch too.
		rs := f.save(mexico, t0, story("https://example.com/b", xMain), story("https://example.com/b", xMain))
		equal(t, "same article in a batch", rs[1].Article.ID, rs[0].Article.ID)
		equal(t, "second of a batch is new", rs[1].New, false)
		equal(t, "jobs of the second", len(rs[1].Jobs), 0)
		js, err := f.ListJobs(f.ctx, herald.JobFilter{})
		f.must(err)
		equal(t, "jobs in all", len(js), 2)
	}},
	{"GUIDKeepsURLChange", func(t *testing.T, f *fixture) {
		it := story("https://example.com/old-slug", xMain)
		it.GUID = "guid-1"
		first := f.save(mexico, t0, it)[0]
		it.URL = "https://example.com/new-slug"
		moved := f.save(mexico, t0.Add(time.Minute), it)[0]
		equal(t, "same article", moved.Article.ID, first.Article.ID)
		equal(t, "new", moved.New, false)
		equal(t, "jobs", len(moved.Jobs), 0)
		equal(t, "url follows the feed", moved.Article.URL, "https://example.com/new-slug")
		for _, u := range []string{"https://example.com/old-slug", "https://example.com/new-slug"} {
			a, err := f.FindArticle(f.ctx, u)
			f.must(err)
			equal(t, "FindArticle("+u+")", a.ID, first.Article.ID)
		}
		// A feed still carrying the old URL finds the same story.
		old := story("https://example.com/old-slug", xMain)
		r := f.save(business, t0, old)[0]
		equal(t, "old URL in another feed", r.Article.ID, first.Article.ID)
	}},
	{"URLKeepsGUIDChange", func(t *testing.T, f *fixture) {
		it := story("https://example.com/a", xMain)
		it.GUID = "v1"
		first := f.save(mexico, t0, it)[0]
		it.GUID = "v2"
		again := f.save(mexico, t0, it)[0]
		equal(t, "same article", again.Article.ID, first.Article.ID)
		equal(t, "jobs", len(again.Jobs), 0)
		// The new GUID is now the story's: a later URL change is still followed.
		it.URL = "https://example.com/a-moved"
		moved := f.save(mexico, t0, it)[0]
		equal(t, "same article after GUID then URL change", moved.Article.ID, first.Article.ID)
	}},
	{"GUIDIsPerSource", func(t *testing.T, f *fixture) {
		a := story("https://example.com/a", xMain)
		a.GUID = "123"
		b := story("https://example.com/b", xMain)
		b.GUID = "123"
		ra := f.save(mexico, t0, a)[0]
		rb := f.save(business, t0, b)[0]
		if ra.Article.ID == rb.Article.ID {
			t.Error("a GUID matched across sources")
		}
		equal(t, "other source's story is new", rb.New, true)
	}},
	{"EditIsNotNew", func(t *testing.T, f *fixture) {
		it := story("https://example.com/a", xMain, fbPage)
		first := f.save(mexico, t0, it)[0]
		it.Title = "Corrected: " + it.Title
		it.Summary = ""     // empty fields never erase
		it.Categories = nil // nor do missing categories
		it.PublishedAt = t0 // publication time is kept
		edit := f.save(mexico, t0.Add(time.Hour), it)[0]
		equal(t, "same article", edit.Article.ID, first.Article.ID)
		equal(t, "new", edit.New, false)
		equal(t, "updated", edit.Updated, true)
		equal(t, "jobs", len(edit.Jobs), 0)
		equal(t, "title", edit.Article.Title, it.Title)
		equal(t, "summary kept", edit.Article.Summary, first.Article.Summary)
		sameTime(t, "updated at", edit.Article.UpdatedAt, t0.Add(time.Hour))
		sameTime(t, "published kept", edit.Article.PublishedAt, first.Article.PublishedAt)
		sameTime(t, "first seen kept", edit.Article.FirstSeenAt, t0)
		got, err := f.GetArticle(f.ctx, first.Article.ID)
		f.must(err)
		equal(t, "stored title", got.Title, it.Title)
		js, err := f.ListJobs(f.ctx, herald.JobFilter{ArticleID: first.Article.ID})
		f.must(err)
		equal(t, "jobs of the article", len(js), 2)
	}},
	{"TwoSources", func(t *testing.T, f *fixture) {
		first := f.save(mexico, t0, story("https://example.com/a", xMain, fbPage))[0]
		second := f.save(business, t0.Add(time.Minute), story("https://example.com/a", xMain, xTwo))[0]
		equal(t, "one article", second.Article.ID, first.Article.ID)
		equal(t, "new", second.New, false)
		equalSlice(t, "sections", second.Article.Sections, []string{mexico, business})
		equal(t, "section stays the first", second.Article.Section, mexico)
		if len(second.Jobs) != 1 || f.job(second.Jobs[0]).Account != xTwo {
			t.Fatalf("second source's jobs = %v, want one for %s", second.Jobs, xTwo)
		}
		// Seen again in either source: nothing more.
		for _, src := range []string{mexico, business} {
			r := f.save(src, t0.Add(time.Hour), story("https://example.com/a", xMain, xTwo, fbPage))[0]
			equal(t, "jobs on a later sight in "+src, len(r.Jobs), 0)
		}
		for _, src := range []string{mexico, business} {
			as, err := f.ListArticles(f.ctx, herald.ArticleFilter{Source: src})
			f.must(err)
			if len(as) != 1 || as[0].ID != first.Article.ID {
				t.Errorf("ListArticles(source %s) = %+v", src, as)
			}
		}
		ss, err := f.ListSources(f.ctx)
		f.must(err)
		for _, s := range ss {
			equal(t, s.Name+" article count", s.ArticleCount, 1)
		}
	}},
	{"Backlog", func(t *testing.T, f *fixture) {
		it := story("https://example.com/a", xMain)
		it.Announce = false
		r := f.save(mexico, t0, it)[0]
		equal(t, "new", r.New, true)
		equal(t, "jobs of a backlog item", len(r.Jobs), 0)
		it.Announce = true
		again := f.save(mexico, t0.Add(time.Minute), it)[0]
		equal(t, "jobs when seen again in the same source", len(again.Jobs), 0)
		// First seen in another source, announced: that source's targets get it.
		other := f.save(business, t0.Add(2*time.Minute), it)[0]
		equal(t, "jobs for the second source", len(other.Jobs), 1)
	}},
	{"Stale", func(t *testing.T, f *fixture) {
		it := story("https://example.com/old", xMain)
		it.Stale = true
		it.PublishedAt = t0.Add(-30 * 24 * time.Hour)
		r := f.save(mexico, t0, it)[0]
		equal(t, "stale", r.Article.Stale, true)
		equal(t, "jobs of a stale item", len(r.Jobs), 0)
		it.Stale = false
		other := f.save(business, t0, it)[0]
		equal(t, "jobs of a stale article in a new source", len(other.Jobs), 0)
		equal(t, "still stale", other.Article.Stale, true)
	}},
	{"OneAutomaticPost", func(t *testing.T, f *fixture) {
		r := f.save(mexico, t0, story("https://example.com/a", xMain, xMain))[0]
		equal(t, "one job per distinct target", len(r.Jobs), 1)
		// A post made by hand first also counts: the feed does not post it again.
		b := f.save(mexico, t0, herald.ArticleInput{URL: "https://example.com/b", Title: "B"})[0]
		_, err := f.CreateJob(f.ctx, herald.NewJob{ArticleID: b.Article.ID, Account: fbPage, Kind: herald.KindAdhoc}, t0)
		f.must(err)
		again := f.save(business, t0, story("https://example.com/b", fbPage, xMain))[0]
		if len(again.Jobs) != 1 || f.job(again.Jobs[0]).Account != xMain {
			t.Errorf("jobs = %v, want only %s's", again.Jobs, xMain)
		}
	}},
	{"Defaults", func(t *testing.T, f *fixture) {
		it := herald.ArticleInput{URL: "https://example.com/a", Title: "A", Announce: true, Targets: []string{xMain},
			Priority: herald.PriorityBreaking}
		r := f.save(mexico, t0, it)[0]
		sameTime(t, "published falls back to first seen", r.Article.PublishedAt, t0)
		equal(t, "no categories", len(r.Article.Categories), 0)
		equal(t, "priority", f.job(r.Jobs[0]).Priority, herald.PriorityBreaking)
		_, err := f.SaveArticles(f.ctx, 1<<40, []herald.ArticleInput{it}, t0)
		errIs(t, "SaveArticles of a missing source", err, herald.ErrNotFound)
	}},
	{"List", func(t *testing.T, f *fixture) {
		old := story("https://example.com/old")
		old.PublishedAt = t0.Add(-48 * time.Hour)
		f.save(mexico, t0.Add(-47*time.Hour), old)
		a := story("https://example.com/a")
		a.PublishedAt = t0.Add(-2 * time.Hour)
		b := story("https://example.com/b")
		b.PublishedAt = t0.Add(-time.Hour)
		f.save(mexico, t0, a, b)
		f.save(business, t0, story("https://example.com/c"))

		all, err := f.ListArticles(f.ctx, herald.ArticleFilter{})
		f.must(err)
		equal(t, "all", len(all), 4)
		recent, err := f.ListArticles(f.ctx, herald.ArticleFilter{Since: t0.Add(-24 * time.Hour), Source: mexico})
		f.must(err)
		var urls []string
		for _, x := range recent {
			urls = append(urls, x.URL)
		}
		equalSlice(t, "mexico's since 24h, newest first", urls, []string{"https://example.com/b", "https://example.com/a"})
		one, err := f.ListArticles(f.ctx, herald.ArticleFilter{Limit: 1, Source: mexico})
		f.must(err)
		if len(one) != 1 || one[0].URL != "https://example.com/b" {
			t.Errorf("limit 1 = %+v", one)
		}
		if !slices.Equal(one[0].Sections, []string{mexico}) {
			t.Errorf("listed sections = %v", one[0].Sections)
		}
	}},
	{"ConcurrentSaves", func(t *testing.T, f *fixture) {
		// The same story arriving from two sources at once is one article
		// with one job per account.
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			src := []string{mexico, business}[i%2]
			id := f.src(src)
			wg.Go(func() {
				_, err := f.SaveArticles(f.ctx, id, []herald.ArticleInput{story("https://example.com/same", xMain, fbPage)}, t0)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			f.must(err)
		}
		as, err := f.ListArticles(f.ctx, herald.ArticleFilter{})
		f.must(err)
		equal(t, "articles", len(as), 1)
		js, err := f.ListJobs(f.ctx, herald.JobFilter{})
		f.must(err)
		equal(t, "jobs", len(js), 2)
	}},
}

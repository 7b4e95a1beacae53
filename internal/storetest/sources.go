package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var sourceTests = []test{
	{"SyncAndList", func(t *testing.T, f *fixture) {
		ss, err := f.ListSources(f.ctx)
		f.must(err)
		if len(ss) != 2 || ss[0].Name != business || ss[1].Name != mexico {
			t.Fatalf("ListSources = %+v, want business and mexico", ss)
		}
		equal(t, "url", ss[1].URL, "https://example.com/rss/mexico.xml")
		equal(t, "seeded", ss[1].Seeded, false)
		sameTime(t, "never polled", ss[1].LastPolledAt, time.Time{})

		f.article("https://example.com/a", t0)
		f.article("https://example.com/b", t0)
		ss, err = f.ListSources(f.ctx)
		f.must(err)
		equal(t, "mexico's article count", ss[1].ArticleCount, 2)
		equal(t, "business's article count", ss[0].ArticleCount, 0)

		// A source no longer configured is kept but neither listed nor claimed.
		f.must(f.SyncSources(f.ctx, []herald.SourceSpec{{Name: mexico, URL: "https://example.com/rss/mexico.xml"}}))
		ss, err = f.ListSources(f.ctx)
		f.must(err)
		if len(ss) != 1 || ss[0].Name != mexico {
			t.Errorf("after dropping business: ListSources = %+v", ss)
		}
		old, err := f.GetSource(f.ctx, business)
		f.must(err)
		equal(t, "retired source's name", old.Name, business)
		for _, s := range claimSources(t, f, "a", t0, 10) {
			if s.Name == business {
				t.Error("a retired source was claimed")
			}
		}
		// Configured again: back, with its history.
		f.must(f.SyncSources(f.ctx, []herald.SourceSpec{{Name: mexico, URL: "https://example.com/rss/mexico.xml"},
			{Name: business, URL: "https://example.com/rss/business.xml"}}))
		back, err := f.GetSource(f.ctx, business)
		f.must(err)
		equal(t, "same source again", back.ID, old.ID)

		_, err = f.GetSource(f.ctx, "nope")
		errIs(t, "GetSource(nope)", err, herald.ErrNotFound)
	}},
	{"ClaimAndSavePoll", func(t *testing.T, f *fixture) {
		got := claimSources(t, f, "a", t0, 1)
		if len(got) != 1 {
			t.Fatalf("claimed %d sources, want 1 (limit)", len(got))
		}
		rest := claimSources(t, f, "b", t0, 10)
		if len(rest) != 1 || rest[0].ID == got[0].ID {
			t.Fatalf("second claimer got %+v, want only the other source", rest)
		}
		if n := len(claimSources(t, f, "c", t0.Add(10*time.Second), 10)); n != 0 {
			t.Fatalf("claimed %d leased sources", n)
		}
		res := herald.PollResult{
			SourceID: got[0].ID, ETag: `"v1"`, LastModified: "Mon, 02 Mar 2026 11:00:00 GMT", Status: 200,
			Seeded: true, PolledAt: t0, NextPollAt: t0.Add(2 * time.Minute), HubURL: "https://hub.example/",
		}
		f.must(f.SavePoll(f.ctx, "a", res))
		s, err := f.GetSource(f.ctx, got[0].Name)
		f.must(err)
		equal(t, "etag", s.ETag, `"v1"`)
		equal(t, "last modified", s.LastModified, res.LastModified)
		equal(t, "status", s.LastStatus, 200)
		equal(t, "seeded", s.Seeded, true)
		equal(t, "hub", s.HubURL, "https://hub.example/")
		sameTime(t, "polled", s.LastPolledAt, t0)
		sameTime(t, "next poll", s.NextPollAt, t0.Add(2*time.Minute))

		// Saving twice: the lease is gone.
		errIs(t, "second SavePoll", f.SavePoll(f.ctx, "a", res), herald.ErrLeaseLost)
		errIs(t, "SavePoll of a missing source", f.SavePoll(f.ctx, "a", herald.PollResult{SourceID: 1 << 40}), herald.ErrNotFound)

		// Not due before NextPollAt (b's lease has expired by then).
		for _, c := range claimSources(t, f, "c", t0.Add(time.Minute+time.Second), 10) {
			if c.ID == got[0].ID {
				t.Error("claimed a source before its next poll")
			}
		}
		again := claimSources(t, f, "d", t0.Add(2*time.Minute+time.Second), 10)
		found := false
		for _, c := range again {
			found = found || c.ID == got[0].ID
		}
		if !found {
			t.Error("source not claimed once due")
		}

		// A failed poll keeps Seeded and counts failures.
		f.must(f.SavePoll(f.ctx, "d", herald.PollResult{SourceID: got[0].ID, Status: 500, Error: "HTTP 500",
			Failures: 1, PolledAt: t0.Add(2 * time.Minute), NextPollAt: t0.Add(4 * time.Minute), ETag: `"v1"`}))
		s, err = f.GetSource(f.ctx, got[0].Name)
		f.must(err)
		equal(t, "seeded after a failure", s.Seeded, true)
		equal(t, "error", s.LastError, "HTTP 500")
		equal(t, "failures", s.Failures, 1)
	}},
	{"LeaseExpiry", func(t *testing.T, f *fixture) {
		a := claimSources(t, f, "a", t0, 10)
		if len(a) != 2 {
			t.Fatalf("claimed %d, want 2", len(a))
		}
		b := claimSources(t, f, "b", t0.Add(31*time.Second), 10)
		if len(b) != 2 {
			t.Fatalf("after the lease expired b claimed %d, want 2", len(b))
		}
		err := f.SavePoll(f.ctx, "a", herald.PollResult{SourceID: a[0].ID, ETag: "stolen", Status: 200, PolledAt: t0})
		errIs(t, "SavePoll after losing the lease", err, herald.ErrLeaseLost)
		s, err := f.GetSource(f.ctx, a[0].Name)
		f.must(err)
		equal(t, "etag of a lost poll", s.ETag, "")
		f.must(f.SavePoll(f.ctx, "b", herald.PollResult{SourceID: a[0].ID, ETag: "b", Status: 200, PolledAt: t0}))
	}},
	{"URLChange", func(t *testing.T, f *fixture) {
		s := claimSources(t, f, "a", t0, 1)[0]
		f.must(f.SavePoll(f.ctx, "a", herald.PollResult{SourceID: s.ID, ETag: "e", Seeded: true, Status: 200,
			PolledAt: t0, NextPollAt: t0.Add(time.Hour)}))
		specs := []herald.SourceSpec{{Name: mexico, URL: "https://example.com/rss/mexico.xml"},
			{Name: business, URL: "https://example.com/rss/business.xml"}}
		for i := range specs {
			if specs[i].Name == s.Name {
				specs[i].URL = "https://example.org/new.xml"
			}
		}
		f.must(f.SyncSources(f.ctx, specs))
		got, err := f.GetSource(f.ctx, s.Name)
		f.must(err)
		equal(t, "id", got.ID, s.ID)
		equal(t, "url", got.URL, "https://example.org/new.xml")
		equal(t, "etag of a moved feed", got.ETag, "")
		equal(t, "a moved feed is seeded again", got.Seeded, false)
	}},
	{"PushSource", func(t *testing.T, f *fixture) {
		p, err := f.PushSource(f.ctx, "webhook")
		f.must(err)
		p2, err := f.PushSource(f.ctx, "webhook")
		f.must(err)
		equal(t, "same push source", p2.ID, p.ID)
		equal(t, "push source url", p.URL, "")
		for _, s := range claimSources(t, f, "a", t0.Add(time.Hour), 10) {
			if s.ID == p.ID {
				t.Error("push source claimed for polling")
			}
		}
		f.must(f.SyncSources(f.ctx, []herald.SourceSpec{{Name: mexico, URL: "https://example.com/rss/mexico.xml"}}))
		ss, err := f.ListSources(f.ctx)
		f.must(err)
		found := false
		for _, s := range ss {
			found = found || s.ID == p.ID
		}
		if !found {
			t.Error("SyncSources retired the push source")
		}
		// Every pushed story is announced (no backlog).
		rs, err := f.SaveArticles(f.ctx, p.ID, []herald.ArticleInput{story("https://example.com/pushed", xMain)}, t0)
		f.must(err)
		equal(t, "jobs of a pushed story", len(rs[0].Jobs), 1)
	}},
	{"SetPush", func(t *testing.T, f *fixture) {
		id := f.src(mexico)
		p := herald.PushState{HubURL: "https://hub.example/", State: "active", Secret: "s3cret", LeaseUntil: t0.Add(24 * time.Hour)}
		f.must(f.SetPush(f.ctx, id, p))
		s, err := f.GetSource(f.ctx, mexico)
		f.must(err)
		equal(t, "hub", s.HubURL, p.HubURL)
		equal(t, "state", s.PushState, "active")
		equal(t, "secret", s.PushSecret, "s3cret")
		sameTime(t, "lease", s.PushLeaseUntil, p.LeaseUntil)
		errIs(t, "SetPush of a missing source", f.SetPush(f.ctx, 1<<40, p), herald.ErrNotFound)
	}},
}

func claimSources(t *testing.T, f *fixture, owner string, now time.Time, limit int) []herald.Source {
	t.Helper()
	ss, err := f.ClaimSources(f.ctx, owner, now, 30*time.Second, limit)
	f.must(err)
	return ss
}

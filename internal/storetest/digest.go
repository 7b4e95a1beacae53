package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var digestTests = []test{
	{"PartsOncePerAccountDayAndPart", testDigestParts},
}

func testDigestParts(t *testing.T, f *fixture) {
	a := f.article("https://example.com/a", t0.Add(-time.Hour)).Article.ID
	b := f.article("https://example.com/b", t0.Add(-time.Hour)).Article.ID
	day := "2026-03-02"
	p0 := herald.DigestPart{Account: xMain, Day: day, ArticleID: a, Text: "Top\n\n1. A", Plan: []int64{a, b}}
	j0, err := f.CreateDigestPart(f.ctx, p0, t0)
	f.must(err)
	equal(t, "kind", j0.Kind, herald.KindDigest)
	equal(t, "state", j0.State, herald.JobPending)
	equal(t, "text", j0.Text, p0.Text)
	_, err = f.CreateDigestPart(f.ctx, p0, t0) // another instance, or a restart
	errIs(t, "the same part again", err, herald.ErrConflict)
	j1, err := f.CreateDigestPart(f.ctx, herald.DigestPart{Account: xMain, Day: day, Part: 1, ArticleID: b,
		Text: "2. B", ReplyTo: "r-first"}, t0)
	f.must(err)
	equal(t, "reply to", f.job(j1.ID).ReplyTo, "r-first")
	// Another account and another day have parts of their own.
	_, err = f.CreateDigestPart(f.ctx, herald.DigestPart{Account: xTwo, Day: day, ArticleID: a, Text: "Top"}, t0)
	f.must(err)
	_, err = f.CreateDigestPart(f.ctx, herald.DigestPart{Account: xMain, Day: "2026-03-03", ArticleID: b, Text: "Top"}, t0)
	f.must(err)

	parts, err := f.DigestJobs(f.ctx, xMain, day)
	f.must(err)
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2", len(parts))
	}
	equal(t, "part 0", parts[0].Job.ID, j0.ID)
	equalSlice(t, "plan", parts[0].Plan, []int64{a, b})
	equal(t, "part 1", parts[1].Job.ID, j1.ID)
	equal(t, "part 1's plan", len(parts[1].Plan), 0)
	none, err := f.DigestJobs(f.ctx, fbPage, day)
	f.must(err)
	equal(t, "parts of an account without a digest", len(none), 0)
	_, err = f.CreateDigestPart(f.ctx, herald.DigestPart{Account: xMain, Day: "2026-03-04", ArticleID: a + b + 100}, t0)
	errIs(t, "a part of an unknown article", err, herald.ErrNotFound)
}

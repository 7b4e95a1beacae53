// Package storetest is the conformance suite every herald.Store
// implementation passes. It is written against the interface alone: IDs are
// only assumed to increase, and times are compared at millisecond precision.
// Every test passes explicit times, so nothing sleeps.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Run runs the suite. open must return a new, empty, migrated store and
// register its Close with t.Cleanup; it is called from parallel subtests.
func Run(t *testing.T, open func(t *testing.T) herald.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Migrate", migrateTests},
		{"Sources", sourceTests},
		{"Articles", articleTests},
		{"Intake", intakeTests},
		{"Review", reviewTests},
		{"Alerts", alertTests},
		{"Jobs", jobTests},
		{"Claim", claimTests},
		{"ClaimRules", claimRuleTests},
		{"Accounts", accountTests},
		{"Ledger", ledgerTests},
		{"Engagement", engagementTests},
		{"Clicks", clickTests},
		{"Replay", replayTests},
		{"Report", reportTests},
		{"Lock", lockTests},
		{"Unlock", unlockTests},
		{"ReportQuotes", quoteTests},
		{"Fingerprints", fingerprintTests},
		{"Credentials", credentialTests},
		{"Views", viewTests},
		{"Digest", digestTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, newFixture(t, open))
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, f *fixture)
}

// t0 is the suite's "now": every other time is relative to it.
var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// Accounts and sources every test starts with.
const (
	xMain    = "x_main"
	xTwo     = "x_two"
	fbPage   = "fb_page"
	mOne     = "m_one"
	mexico   = "mexico"
	business = "business"
)

type fixture struct {
	herald.Store
	t   *testing.T
	ctx context.Context
}

func newFixture(t *testing.T, open func(t *testing.T) herald.Store) *fixture {
	f := &fixture{Store: open(t), t: t, ctx: t.Context()}
	f.must(f.SyncAccounts(f.ctx, []herald.Account{
		{ID: xMain, Network: herald.Twitter},
		{ID: xTwo, Network: herald.Twitter},
		{ID: fbPage, Network: herald.Facebook},
		{ID: mOne, Network: herald.Mastodon},
	}))
	f.must(f.SyncSources(f.ctx, []herald.SourceSpec{
		{Name: mexico, URL: "https://example.com/rss/mexico.xml"},
		{Name: business, URL: "https://example.com/rss/business.xml"},
	}))
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// src returns a source's ID.
func (f *fixture) src(name string) int64 {
	f.t.Helper()
	s, err := f.GetSource(f.ctx, name)
	f.must(err)
	return s.ID
}

// save saves items from a source, failing the test on error.
func (f *fixture) save(source string, now time.Time, items ...herald.ArticleInput) []herald.SaveResult {
	f.t.Helper()
	rs, err := f.SaveArticles(f.ctx, f.src(source), items, now)
	f.must(err)
	if len(rs) != len(items) {
		f.t.Fatalf("SaveArticles returned %d results for %d items", len(rs), len(items))
	}
	return rs
}

// story is an announced item published an hour before t0.
func story(url string, targets ...string) herald.ArticleInput {
	return herald.ArticleInput{
		URL: url, Title: "Title of " + url, Summary: "Summary of " + url,
		PublishedAt: t0.Add(-time.Hour), Announce: true, Targets: targets,
	}
}

// article saves one announced story from mexico and returns its result.
func (f *fixture) article(url string, published time.Time, targets ...string) herald.SaveResult {
	f.t.Helper()
	it := story(url, targets...)
	it.PublishedAt = published
	return f.save(mexico, t0, it)[0]
}

func (f *fixture) job(id int64) herald.Job {
	f.t.Helper()
	j, err := f.GetJob(f.ctx, id)
	f.must(err)
	return j
}

// claim claims for the given accounts (no spacing) with PerAccount 100.
func (f *fixture) claim(owner string, now time.Time, accounts ...string) []herald.Job {
	f.t.Helper()
	m := make(map[string]time.Duration)
	for _, a := range accounts {
		m[a] = 0
	}
	js, err := f.ClaimJobs(f.ctx, herald.ClaimOptions{Owner: owner, Now: now, Lease: time.Minute, Accounts: m, PerAccount: 100})
	f.must(err)
	return js
}

// sendAll claims every due job of every account and records it sent at now,
// with remote ID "r<job id>"; it returns the sent jobs by ID.
func (f *fixture) sendAll(now time.Time) map[int64]herald.Job {
	f.t.Helper()
	out := make(map[int64]herald.Job)
	for _, j := range f.claim("sender", now, xMain, xTwo, fbPage, mOne) {
		f.must(f.StartAttempt(f.ctx, j.ID, "sender", now, time.Minute))
		f.must(f.FinishJob(f.ctx, j.ID, "sender", herald.Outcome{
			State: herald.JobSent, RemoteID: fmt.Sprintf("r%d", j.ID),
			Permalink: fmt.Sprintf("https://example.net/%s/r%d", j.Account, j.ID),
			SentText:  "text", SentAt: now, Attempted: true,
		}, now))
		out[j.ID] = f.job(j.ID)
	}
	return out
}

func ids(js []herald.Job) []int64 {
	return mapped(js, func(j herald.Job) int64 { return j.ID })
}

// mapped returns field(x) for every x of xs, in order.
func mapped[T, U any](xs []T, field func(T) U) []U {
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = field(x)
	}
	return out
}

func errIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if got.IsZero() != want.IsZero() || got.UnixMilli() != want.UnixMilli() {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func equalSlice[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}

var migrateTests = []test{
	{"Idempotent", func(t *testing.T, f *fixture) {
		r := f.article("https://example.com/a", t0)
		for range 2 {
			f.must(f.Migrate(f.ctx))
		}
		a, err := f.GetArticle(f.ctx, r.Article.ID)
		f.must(err)
		equal(t, "title after migrating again", a.Title, r.Article.Title)
	}},
}

// Open opens a store with open, closes it when the test ends, and migrates
// it, failing the test on error.
func Open[S herald.Store](t testing.TB, open func(ctx context.Context) (S, error)) S {
	t.Helper()
	st, err := open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

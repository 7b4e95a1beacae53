// Package storebench generates the data sets the store benchmarks run on
// (a million articles and more, straight in SQL: far faster than the Store
// methods) and holds the benchmark bodies both stores share. It is for
// benchmarks only; nothing in the product imports it.
package storebench

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Data sizes a generated data set. Accounts bench_x (twitter) and bench_fb
// (facebook) and source bench hold it; each post's latest counters equal
// its last reading, as the collector leaves them. Figures come from a hash
// of the IDs: a few stories do far better than most.
type Data struct {
	Articles         int           // published evenly over Span before Now
	PostsPerArticle  int           // 1 or 2: one X post, one Facebook post (sent, collected)
	SnapshotsPerPost int           // readings per post, spread over CollectFor after it was sent
	Span             time.Duration // default 365 days
	CollectFor       time.Duration // default 7 days
	Now              time.Time
}

// batchSize is how many articles one transaction writes.
const batchSize = 50_000

// plan is a checked Data with its times in milliseconds.
type plan struct {
	Data
	now, step, start, every int64
}

func (d Data) plan() (plan, error) {
	if d.Articles <= 0 || d.PostsPerArticle < 0 || d.PostsPerArticle > 2 || d.SnapshotsPerPost < 0 {
		return plan{}, errors.New("need Articles > 0, PostsPerArticle 0..2, SnapshotsPerPost ≥ 0")
	}
	if d.Span <= 0 {
		d.Span = 365 * 24 * time.Hour
	}
	if d.CollectFor <= 0 {
		d.CollectFor = 7 * 24 * time.Hour
	}
	if d.Now.IsZero() {
		d.Now = time.Now()
	}
	p := plan{Data: d, now: d.Now.UnixMilli(), step: d.Span.Milliseconds() / int64(d.Articles), every: 1}
	p.start = p.now - d.Span.Milliseconds()
	if d.SnapshotsPerPost > 0 {
		p.every = max(d.CollectFor.Milliseconds()/int64(d.SnapshotsPerPost), 1)
	}
	return p, nil
}

// batches calls fn for each run of article IDs lo..hi.
func (p plan) batches(fn func(lo, hi int) error) error {
	for lo := 1; lo <= p.Articles; lo += batchSize {
		if err := fn(lo, min(lo+batchSize-1, p.Articles)); err != nil {
			return err
		}
	}
	return nil
}

// Report measures `report --since 7d --limit 20` and variants on a store
// holding a generated data set as of now; setup, if not nil, runs before
// each variant's loop.
func Report(b *testing.B, st herald.Store, now time.Time, setup func(b *testing.B)) {
	week := now.Add(-7 * 24 * time.Hour)
	for _, tc := range []struct {
		name string
		q    herald.ReportQuery
	}{
		{"shares_7d", herald.ReportQuery{Since: week, Until: now, Limit: 20}},
		{"score_7d", herald.ReportQuery{Since: week, Until: now, By: "score", Limit: 20}},
		{"twitter_7d", herald.ReportQuery{Since: week, Until: now, Network: herald.Twitter, Limit: 20}},
		{"section_7d", herald.ReportQuery{Since: week, Until: now, Section: "bench", Limit: 20}},
		{"shares_24h", herald.ReportQuery{Since: now.Add(-24 * time.Hour), Until: now, Limit: 20}},
		{"shares_30d", herald.ReportQuery{Since: now.Add(-30 * 24 * time.Hour), Until: now, Limit: 20}},
		{"trending_7d", herald.ReportQuery{Since: week, Until: now, Trending: true, Limit: 20}},
		{"trending_24h", herald.ReportQuery{Since: now.Add(-24 * time.Hour), Until: now, Trending: true, Limit: 20}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if setup != nil {
				setup(b)
			}
			var rows []herald.ReportRow
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				var err error
				if rows, err = st.Report(b.Context(), tc.q); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			if len(rows) == 0 {
				b.Fatal("empty report")
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		})
	}
}

// PostsToCollect pages through the posts of the 7 days before now, 1,000 at
// a time, as a collector pass does.
func PostsToCollect(b *testing.B, st herald.Store, now time.Time) {
	for b.Loop() {
		after, n := int64(0), 0
		for {
			ps, err := st.PostsToCollect(b.Context(), herald.PostFilter{SentAfter: now.Add(-7 * 24 * time.Hour),
				Limit: 1000, AfterJobID: after})
			if err != nil {
				b.Fatal(err)
			}
			if len(ps) == 0 {
				break
			}
			n += len(ps)
			after = ps[len(ps)-1].JobID
		}
		if n == 0 {
			b.Fatal("no posts")
		}
		b.ReportMetric(float64(n), "posts")
	}
}

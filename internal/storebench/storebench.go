// Package storebench generates the data sets the store benchmarks run on
// (a million articles and more, straight in SQL: far faster than the Store
// methods) and holds the benchmark bodies both stores share. It is for
// benchmarks only; nothing in the product imports it.
package storebench

import (
	"errors"
	"os"
	"slices"
	"strconv"
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

// Articles is the size of the report benchmarks' data set:
// HERALD_BENCH_ARTICLES, default 50,000.
func Articles(b *testing.B) int {
	b.Helper()
	v := os.Getenv("HERALD_BENCH_ARTICLES")
	if v == "" {
		return 50_000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("HERALD_BENCH_ARTICLES=%q", v)
	}
	return n
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

// jobsSQL inserts the posts of articles ph(1)..ph(2) at ph(3) (now), with
// ph(4) readings each (at least 1), ph(5) apart, ph(6) posts per article and
// ph(7) readings wanted; greatest and least are the two-argument maximum and
// minimum. taken is how many readings were made by now; counters are final
// * taken / readings.
func jobsSQL(ph func(i int) string, greatest, least string) string {
	return `INSERT INTO jobs (article_id, account_id, network, seq, kind, state, published_at,
		scheduled_at, next_attempt_at, attempts, remote_id, permalink, sent_at, short_code, created_at, updated_at,
		retweets, quotes, likes, replies, impressions, shares, reactions, comments, clicks, last_collected_at)
		SELECT a.id, c.account, c.network, 0, 'post', 'sent', a.published_at, a.published_at, a.published_at, 1,
			'b' || a.id || '-' || c.n, '', a.published_at + 1000, 'b' || a.id || '-' || c.n,
			a.published_at, a.published_at,
			c.x * (h % 400) * taken / ` + ph(4) + `, c.x * (h % 60) * taken / ` + ph(4) + `,
			c.x * (h % 1500) * taken / ` + ph(4) + `, c.x * (h % 90) * taken / ` + ph(4) + `,
			c.x * (h % 40000) * taken / ` + ph(4) + `, (1 - c.x) * (h % 300) * taken / ` + ph(4) + `,
			(1 - c.x) * (h % 2500) * taken / ` + ph(4) + `, (1 - c.x) * (h % 200) * taken / ` + ph(4) + `, h % 50,
			CASE WHEN taken > 0 THEN a.published_at + 1000 + taken * ` + ph(5) + ` END
		FROM (SELECT a.id, a.published_at, (a.id * 2654435761 + 40503) % 1000003 AS h,
				CASE WHEN ` + ph(7) + ` = 0 THEN 0 ELSE ` + greatest + `(0, ` + least + `(` + ph(7) + `,
					(` + ph(3) + ` - a.published_at - 1000) / ` + ph(5) + `)) END AS taken
			FROM articles a WHERE a.id BETWEEN ` + ph(1) + ` AND ` + ph(2) + `) a
		JOIN (SELECT 0 AS n, 'bench_x' AS account, 'twitter' AS network, 1 AS x
			UNION ALL SELECT 1, 'bench_fb', 'facebook', 0) c ON c.n < ` + ph(6) + `
		ORDER BY a.id, c.n`
}

// jobsArgs are jobsSQL's arguments for articles lo..hi.
func (p plan) jobsArgs(lo, hi int) []any {
	return []any{lo, hi, p.now, max(p.SnapshotsPerPost, 1), p.every, p.PostsPerArticle, p.SnapshotsPerPost}
}

// linkSQL links articles ph(1)..ph(2) to source bench.
func linkSQL(ph func(i int) string) string {
	return `INSERT INTO article_sources (article_id, source_id, guid, first_seen_at)
		SELECT a.id, s.id, a.guid, a.first_seen_at FROM articles a, sources s
		WHERE s.name = 'bench' AND a.id BETWEEN ` + ph(1) + ` AND ` + ph(2)
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

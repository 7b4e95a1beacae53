package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/storebench"
)

var benchNow = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// BenchmarkClaimFinish runs the dispatcher's store calls for one job (an
// op) from 1, 2 and 3 instances (each a handle with 2 or 8 workers, which
// claim as the instance: one owner) sharing the database: claims of up to
// 10 jobs, then StartAttempt and FinishJob(sent) for each. Two accounts, no
// spacing: an account is served by one instance at a time. StartAttempt waits
// for its commit to reach the disk, so the figures follow the disk's flush
// latency; more workers share flushes (group commit).
func BenchmarkClaimFinish(b *testing.B) {
	for _, tc := range []struct{ instances, workers int }{{1, 2}, {2, 2}, {3, 2}, {1, 8}, {2, 8}, {3, 8}} {
		n := tc.instances
		b.Run(fmt.Sprintf("instances=%d/workers=%d", n, tc.workers), func(b *testing.B) {
			dbs := benchInstances(b, n)
			ctx := b.Context()
			src, err := dbs[0].GetSource(ctx, "news")
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < (b.N+1)/2; i += 500 {
				if _, err := dbs[0].SaveArticles(ctx, src.ID, stories(i, min(500, (b.N+1)/2-i), "x", "fb"), benchNow); err != nil {
					b.Fatal(err)
				}
			}
			var sent atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for i := range tc.workers * n {
				db, owner := dbs[i%n], fmt.Sprintf("bench-%d", i%n)
				wg.Go(func() {
					opts := herald.ClaimOptions{Owner: owner, Now: benchNow, Lease: time.Minute,
						Accounts: map[string]time.Duration{"x": 0, "fb": 0}, PerAccount: 5, Limit: 10}
					for sent.Load() < int64(b.N) {
						js, err := db.ClaimJobs(ctx, opts)
						if err != nil {
							b.Error(err)
							return
						}
						for _, j := range js {
							if err := db.StartAttempt(ctx, j.ID, owner, benchNow, time.Minute); err != nil {
								b.Error(err)
								return
							}
							if err := db.FinishJob(ctx, j.ID, owner, herald.Outcome{State: herald.JobSent,
								RemoteID: strconv.FormatInt(j.ID, 10), SentAt: benchNow, Attempted: true}, benchNow); err != nil {
								b.Error(err)
								return
							}
							sent.Add(1)
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(sent.Load())/b.Elapsed().Seconds(), "jobs/s")
		})
	}
}

// BenchmarkSaveArticles saves batches of 50 new announced stories (two jobs
// each), as a poll of a busy feed does.
func BenchmarkSaveArticles(b *testing.B) {
	db := benchInstances(b, 1)[0]
	src, err := db.GetSource(b.Context(), "news")
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		if _, err := db.SaveArticles(b.Context(), src.ID, stories(n, 50, "x", "fb"), benchNow); err != nil {
			b.Fatal(err)
		}
		n += 50
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
}

// benchInstances opens n handles on one fresh schema with accounts x and
// fb and the source news.
func benchInstances(b *testing.B, n int) []*postgres.DB {
	return openInstances(b, n, herald.SourceSpec{Name: "news", URL: "https://example.com/rss"})
}

// reportDB opens (generating it once, then reusing it) a schema
// herald_bench_N on HERALD_TEST_POSTGRES_URL's server holding
// HERALD_BENCH_ARTICLES articles (default 50,000) with two posts each and
// ten readings per post, published over a year. Drop it by hand when done:
// DROP SCHEMA herald_bench_N CASCADE.
func reportDB(b *testing.B) *postgres.DB {
	b.Helper()
	n := storebench.Articles(b)
	u, err := url.Parse(serverURL(b))
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", fmt.Sprintf("herald_bench_%d", n))
	u.RawQuery = q.Encode()
	ctx := context.Background()
	db, err := postgres.Open(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var have int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM articles`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have != n {
		if have != 0 {
			b.Fatalf("schema herald_bench_%d holds %d articles: drop it", n, have)
		}
		start := time.Now()
		if err := storebench.Postgres(ctx, db.Pool(), storebench.Data{Articles: n, PostsPerArticle: 2, SnapshotsPerPost: 10, Now: benchNow}); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated %d articles in %v", n, time.Since(start).Round(time.Second))
	}
	var size string
	if err := db.Pool().QueryRow(ctx, `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid)))
		FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
		WHERE s.nspname = current_schema() AND c.relkind = 'r'`).Scan(&size); err == nil {
		b.Logf("schema herald_bench_%d: %s", n, size)
	}
	return db
}

// BenchmarkReport measures `report --since 7d --limit 20` and variants.
func BenchmarkReport(b *testing.B) {
	storebench.Report(b, reportDB(b), benchNow, nil)
}

// BenchmarkPostsToCollect pages through the posts of the last 7 days, 1,000
// at a time, as a collector pass does.
func BenchmarkPostsToCollect(b *testing.B) {
	storebench.PostsToCollect(b, reportDB(b), benchNow)
}

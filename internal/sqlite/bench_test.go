package sqlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cputime"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/storebench"
)

var benchNow = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func benchStore(b *testing.B) (*sqlite.DB, int64) {
	b.Helper()
	db := openTest(b)
	ctx := b.Context()
	if err := db.SyncAccounts(ctx, []herald.Account{{ID: "x", Network: herald.Twitter}, {ID: "fb", Network: herald.Facebook}}); err != nil {
		b.Fatal(err)
	}
	if err := db.SyncSources(ctx, []herald.SourceSpec{{Name: "news", URL: "https://example.com/rss"}}); err != nil {
		b.Fatal(err)
	}
	src, err := db.GetSource(ctx, "news")
	if err != nil {
		b.Fatal(err)
	}
	return db, src.ID
}

// reportCPU reports the CPU time per op from now on, which (unlike ns/op)
// holds on a busy machine. Call it after any set-up.
func reportCPU(b *testing.B) {
	start := cputime.Used()
	b.Cleanup(func() {
		if b.N > 0 {
			b.ReportMetric(float64((cputime.Used()-start).Microseconds())/float64(b.N), "cpu-µs/op")
		}
	})
}

func batch(n, from int) []herald.ArticleInput {
	items := make([]herald.ArticleInput, n)
	for i := range items {
		k := from + i
		items[i] = herald.ArticleInput{
			URL: fmt.Sprintf("https://example.com/news/%d", k), GUID: fmt.Sprintf("g%d", k),
			Title: fmt.Sprintf("Headline number %d about something that happened", k), Summary: "Summary text",
			Categories: []string{"politics", "world"}, PublishedAt: benchNow.Add(-time.Duration(k) * time.Second),
			Announce: true, Targets: []string{"x", "fb"},
		}
	}
	return items
}

// BenchmarkSaveArticles saves batches of 50 new announced stories (two jobs
// each), as a poll of a busy feed does.
func BenchmarkSaveArticles(b *testing.B) {
	db, src := benchStore(b)
	n := 0
	reportCPU(b)
	for b.Loop() {
		if _, err := db.SaveArticles(b.Context(), src, batch(50, n), benchNow); err != nil {
			b.Fatal(err)
		}
		n += 50
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkSaveArticlesSeen saves a batch of 50 stories already known, as
// every poll of an unchanged feed without validators does.
func BenchmarkSaveArticlesSeen(b *testing.B) {
	db, src := benchStore(b)
	items := batch(50, 0)
	if _, err := db.SaveArticles(b.Context(), src, items, benchNow); err != nil {
		b.Fatal(err)
	}
	reportCPU(b)
	for b.Loop() {
		if _, err := db.SaveArticles(b.Context(), src, items, benchNow); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(50*b.N)/b.Elapsed().Seconds(), "articles/s")
}

// BenchmarkClaimFinish runs the dispatcher's store calls for one job (an
// op): claims of up to 10 jobs, then StartAttempt and FinishJob(sent) each.
func BenchmarkClaimFinish(b *testing.B) {
	db, src := benchStore(b)
	ctx := b.Context()
	for i := 0; i < (b.N+1)/2; i += 500 {
		if _, err := db.SaveArticles(ctx, src, batch(min(500, (b.N+1)/2-i), i), benchNow); err != nil {
			b.Fatal(err)
		}
	}
	opts := herald.ClaimOptions{Owner: "bench", Now: benchNow, Lease: time.Minute,
		Accounts: map[string]time.Duration{"x": 0, "fb": 0}, PerAccount: 5, Limit: 10}
	b.ResetTimer()
	reportCPU(b)
	sent := 0
	for sent < b.N {
		js, err := db.ClaimJobs(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(js) == 0 {
			b.Fatalf("nothing to claim after %d of %d jobs", sent, b.N)
		}
		for _, j := range js {
			if err := db.StartAttempt(ctx, j.ID, "bench", benchNow, time.Minute); err != nil {
				b.Fatal(err)
			}
			if err := db.FinishJob(ctx, j.ID, "bench", herald.Outcome{State: herald.JobSent,
				RemoteID: strconv.FormatInt(j.ID, 10), SentAt: benchNow, Attempted: true}, benchNow); err != nil {
				b.Fatal(err)
			}
			sent++
		}
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "jobs/s")
}

// reportDB opens (generating it once, then reusing it from the temporary
// directory) a database of HERALD_BENCH_ARTICLES articles (default 50,000)
// with two posts each and ten readings per post, published over a year.
func reportDB(b *testing.B) *sqlite.DB {
	b.Helper()
	n := storebench.Articles(b)
	path := filepath.Join(os.TempDir(), fmt.Sprintf("herald-report-bench-%s-%d.db", schemaHash(b), n))
	ctx := context.Background()
	start := time.Now()
	fresh, err := storebench.CachedSQLite(ctx, path, storebench.Data{Articles: n, PostsPerArticle: 2, SnapshotsPerPost: 10, Now: benchNow})
	if err != nil {
		b.Fatal(err)
	}
	if fresh {
		b.Logf("generated %d articles in %v", n, time.Since(start).Round(time.Second))
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if st, err := os.Stat(path); err == nil {
		b.Logf("database %s: %d MB", path, st.Size()>>20)
	}
	return db
}

// schemaHash identifies the schema, so that a cached data set is rebuilt
// when a migration changes.
func schemaHash(b *testing.B) string {
	h := sha256.New()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		b.Fatalf("migrations: %v", err)
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// BenchmarkReport measures `report --since 7d --limit 20` and variants.
func BenchmarkReport(b *testing.B) {
	storebench.Report(b, reportDB(b), benchNow, reportCPU)
}

// BenchmarkPostsToCollect pages through the posts of the last 7 days, 1,000
// at a time, as a collector pass does.
func BenchmarkPostsToCollect(b *testing.B) {
	db := reportDB(b)
	reportCPU(b)
	storebench.PostsToCollect(b, db, benchNow)
}

// BenchmarkSaveSnapshots stores one collector batch: a reading of each of
// 1,000 posts.
func BenchmarkSaveSnapshots(b *testing.B) {
	db, src := benchStore(b)
	ctx := b.Context()
	for i := 0; i < 500; i += 250 {
		if _, err := db.SaveArticles(ctx, src, batch(250, i), benchNow); err != nil {
			b.Fatal(err)
		}
	}
	js, err := db.ClaimJobs(ctx, herald.ClaimOptions{Owner: "bench", Now: benchNow, Lease: time.Minute,
		Accounts: map[string]time.Duration{"x": 0, "fb": 0}, PerAccount: 1000})
	if err != nil || len(js) != 1000 {
		b.Fatalf("claimed %d: %v", len(js), err)
	}
	for _, j := range js {
		if err := db.FinishJob(ctx, j.ID, "bench", herald.Outcome{State: herald.JobSent,
			RemoteID: strconv.FormatInt(j.ID, 10), SentAt: benchNow, Attempted: true}, benchNow); err != nil {
			b.Fatal(err)
		}
	}
	snaps := make([]herald.Snapshot, len(js))
	reportCPU(b)
	n := 0
	for b.Loop() {
		n++
		for i, j := range js {
			snaps[i] = herald.Snapshot{JobID: j.ID, At: benchNow.Add(time.Duration(n) * time.Minute),
				Engagement: herald.Engagement{Retweets: int64(n), Likes: int64(2 * n), Reactions: int64(n)}}
		}
		if err := db.SaveSnapshots(ctx, snaps); err != nil {
			b.Fatal(err)
		}
	}
}

package rank_test

// Benchmarks of the popularity report at scale and of the collector.
//
//	go test ./internal/rank -run '^$' -bench . -benchtime 200x
//	HERALD_BENCH_FULL=1 go test ./internal/rank -run '^$' -bench Report -benchtime 200x -timeout 2h
//
// The report benchmarks run on a generated database: by default 20,000
// articles, 40,000 posts and 400,000 snapshots; with HERALD_BENCH_FULL=1
// 1,000,000 articles, 2,000,000 posts (one X post and one Facebook post
// each) and 20,000,000 snapshots (ten readings per post). Articles are
// published evenly over the year before benchEnd in four sections; each
// post's figures come from a hash of its ID (most stories earn little, a few
// a lot) and its readings follow the collector's schedule (15 min to 7 days
// after it was sent). The database is generated once with bulk SQL into
// the schema of the store's migrations and kept in os.TempDir() as
// herald-bench-rank-<articles>-v<N>-<schema hash>.db; later runs reuse it
// (delete the file to rebuild it; a changed migration makes a new one). No ANALYZE is run: the planner sees what a real
// installation's does.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cputime"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/rank/ranktest"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// benchEnd is "now" in the generated database.
var benchEnd = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// benchFixtureVersion changes when the generator below does.
const benchFixtureVersion = 1

// benchSections are the generated sources.
var benchSections = []string{"mexico", "venezuela", "colombia", "business"}

// readingOffsets are when, after a post is sent, the generated readings
// were taken, in minutes: dense at first, as the collector's schedule.
var readingOffsets = []int64{15, 30, 45, 60, 120, 240, 480, 1440, 4320, 10080}

// benchArticles is the data set's size in articles (two posts each).
func benchArticles() int {
	if os.Getenv("HERALD_BENCH_FULL") == "1" {
		return 1_000_000
	}
	return 20_000
}

// reportStore opens the generated database, generating it first if no
// earlier run left it in the temporary directory.
func reportStore(b *testing.B) (*sqlite.DB, string) {
	b.Helper()
	n := benchArticles()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("herald-bench-rank-%d-v%d-%s.db", n, benchFixtureVersion, schemaKey(b)))
	ctx := context.Background()
	if _, err := os.Stat(path); err != nil {
		start := time.Now()
		tmp := path + ".tmp"
		if err := generate(ctx, tmp, n); err != nil {
			b.Fatalf("generate %s: %v", tmp, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated %d articles in %v", n, time.Since(start).Round(time.Second))
	}
	return teststore.SQLiteAt(b, path), path
}

// schemaKey identifies the store's schema (its migration files), so that a
// cached data set is rebuilt when a migration changes.
func schemaKey(b *testing.B) string {
	files, err := filepath.Glob(filepath.Join("..", "sqlite", "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		b.Fatalf("store migrations not found: %v", err)
	}
	h := sha256.New()
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		h.Write(body)
	}
	return hex.EncodeToString(h.Sum(nil))[:10]
}

// generate writes the data set to a new database at path: the schema from
// the store's migrations, then bulk INSERT … SELECT in large transactions
// with the secondary indexes dropped and rebuilt at the end (far faster
// than keeping them up to date row by row).
func generate(ctx context.Context, path string, articles int) error {
	for _, s := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + s)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	err = st.Migrate(ctx)
	if err == nil {
		var specs []herald.SourceSpec
		for _, s := range benchSections {
			specs = append(specs, herald.SourceSpec{Name: s, URL: "https://example.com/" + s + ".xml"})
		}
		err = st.SyncSources(ctx, specs)
	}
	if err == nil {
		err = st.SyncAccounts(ctx, []herald.Account{{ID: "x_main", Network: herald.Twitter}, {ID: "fb_page", Network: herald.Facebook}})
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)"+
		"&_pragma=cache_size(-1000000)&_pragma=foreign_keys(0)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	indexes, err := dropIndexes(ctx, db)
	if err != nil {
		return err
	}
	const batch = 100_000
	for lo := 1; lo <= articles; lo += batch {
		if err := generateBatch(ctx, db, lo, min(lo+batch-1, articles), articles); err != nil {
			return fmt.Errorf("articles %d-%d: %w", lo, lo+batch-1, err)
		}
	}
	for _, ix := range indexes {
		if _, err := db.ExecContext(ctx, ix); err != nil {
			return fmt.Errorf("recreate index: %w", err)
		}
	}
	_, err = db.ExecContext(ctx, `PRAGMA journal_mode = WAL`)
	return err
}

// dropIndexes drops the secondary indexes of the generated tables and
// returns the statements that recreate them.
func dropIndexes(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('articles', 'article_sources', 'jobs', 'snapshots')`)
	if err != nil {
		return nil, err
	}
	var names, stmts []string
	for rows.Next() {
		var name, stmt string
		if err := rows.Scan(&name, &stmt); err != nil {
			rows.Close()
			return nil, err
		}
		names, stmts = append(names, name), append(stmts, stmt)
	}
	rows.Close()
	for _, n := range names {
		if _, err := db.ExecContext(ctx, `DROP INDEX "`+n+`"`); err != nil {
			return nil, err
		}
	}
	return stmts, rows.Err()
}

// generateBatch writes articles lo..hi, two posts each (job IDs 2i-1 on X
// and 2i on Facebook) and their readings up to benchEnd, in one transaction.
func generateBatch(ctx context.Context, db *sql.DB, lo, hi, total int) error {
	end := benchEnd.UnixMilli()
	step := (365 * 24 * time.Hour).Milliseconds() / int64(total)
	var offsets string
	for i, m := range readingOffsets {
		if i > 0 {
			offsets += " UNION ALL "
		}
		offsets += fmt.Sprintf("SELECT %d AS k, %d AS off", i+1, m*60_000)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := []string{
		`WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
		INSERT INTO articles (id, url, guid, title, summary, section, published_at, first_seen_at, updated_at)
		SELECT i, 'https://example.com/news/' || i, 'g' || i, 'Story number ' || i || ' of the benchmark',
			'A summary', CASE i % 4 WHEN 0 THEN 'mexico' WHEN 1 THEN 'venezuela' WHEN 2 THEN 'colombia' ELSE 'business' END,
			?3 - (?4 - i) * ?5, ?3 - (?4 - i) * ?5, ?3 - (?4 - i) * ?5 FROM n`,
		`INSERT INTO article_sources (article_id, source_id, guid, first_seen_at)
		SELECT a.id, s.id, a.guid, a.first_seen_at FROM articles a JOIN sources s ON s.name = a.section
		WHERE a.id BETWEEN ?1 AND ?2`,
		// h is a hash of the article; big its figure, most often small.
		`INSERT INTO jobs (id, article_id, account_id, network, seq, kind, state, published_at, scheduled_at,
			next_attempt_at, attempts, sent_text, remote_id, permalink, sent_at, short_code, created_at, updated_at,
			retweets, quotes, likes, replies, impressions, shares, reactions, comments, last_collected_at)
		SELECT a.id * 2 - 1 + c.n, a.id, c.account, c.network, 0, 'post', 'sent', a.published_at, a.published_at,
			a.published_at, 1, a.title, 'r' || (a.id * 2 - 1 + c.n), '', a.published_at + 60000, 'c' || (a.id * 2 - 1 + c.n),
			a.published_at, a.published_at,
			c.x * big, c.x * big / 10, c.x * big * 4, c.x * big / 5, c.x * big * 100,
			(1 - c.x) * big / 2, (1 - c.x) * big * 3, (1 - c.x) * big / 3,
			(SELECT a.published_at + 60000 + max(o.off) FROM (` + offsets + `) o WHERE a.published_at + 60000 + o.off <= ?3)
		FROM (SELECT id, title, published_at, ((id * 2654435761) % 1000003) % 1009 * (((id * 2654435761) % 1000003) % 1009) / 1009 AS big
			FROM articles WHERE id BETWEEN ?1 AND ?2) a
		JOIN (SELECT 0 AS n, 'x_main' AS account, 'twitter' AS network, 1 AS x
			UNION ALL SELECT 1, 'fb_page', 'facebook', 0) c
		ORDER BY a.id, c.n`,
		`INSERT INTO snapshots (job_id, at, retweets, quotes, likes, replies, impressions, shares, reactions, comments)
		SELECT j.id, j.sent_at + o.off, j.retweets * o.k / 10, j.quotes * o.k / 10, j.likes * o.k / 10,
			j.replies * o.k / 10, j.impressions * o.k / 10, j.shares * o.k / 10, j.reactions * o.k / 10,
			j.comments * o.k / 10
		FROM jobs j JOIN (` + offsets + `) o ON j.sent_at + o.off <= ?3
		WHERE j.id BETWEEN ?1 * 2 - 1 AND ?2 * 2
		ORDER BY j.id, o.k`,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s, lo, hi, end, total, step); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// dbSize is the size of the database file and its WAL, in bytes.
func dbSize(path string) int64 {
	var n int64
	for _, s := range []string{"", "-wal"} {
		if st, err := os.Stat(path + s); err == nil {
			n += st.Size()
		}
	}
	return n
}

// percentiles reports p50 and p99 of the durations, in milliseconds.
func percentiles(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(p float64) float64 {
		i := min(int(p*float64(len(ds))), len(ds)-1)
		return float64(ds[i].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkReport measures Store.Report as `herald report --since 7d
// --limit 20` runs it (and variants), and the whole table command's
// database work (Report and a Series per row).
func BenchmarkReport(b *testing.B) {
	db, path := reportStore(b)
	ctx := context.Background()
	b.Logf("database %s: %.0f MB", path, float64(dbSize(path))/(1<<20))
	week := benchEnd.Add(-7 * 24 * time.Hour)
	for _, tc := range []struct {
		name   string
		q      herald.ReportQuery
		series bool
	}{
		{"since=7d", herald.ReportQuery{Since: week, By: "shares"}, false},
		{"since=7d/by=score", herald.ReportQuery{Since: week, By: "score"}, false},
		{"since=7d/network=twitter", herald.ReportQuery{Since: week, By: "shares", Network: herald.Twitter}, false},
		{"since=7d/section=business", herald.ReportQuery{Since: week, By: "shares", Section: "business"}, false},
		{"since=24h", herald.ReportQuery{Since: benchEnd.Add(-24 * time.Hour), By: "shares"}, false},
		{"since=30d", herald.ReportQuery{Since: benchEnd.Add(-30 * 24 * time.Hour), By: "shares"}, false},
		{"since=7d/trending", herald.ReportQuery{Since: week, By: "shares", Trending: true}, false},
		{"since=7d/table", herald.ReportQuery{Since: week, By: "shares"}, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			q := tc.q
			q.Until, q.Limit = benchEnd, 20
			var ds []time.Duration
			var rows []herald.ReportRow
			for b.Loop() {
				start := time.Now()
				var err error
				if rows, err = db.Report(ctx, q); err != nil {
					b.Fatal(err)
				}
				if tc.series {
					for _, r := range rows {
						if _, err := db.Series(ctx, r.ArticleID, q.Since); err != nil {
							b.Fatal(err)
						}
					}
				}
				ds = append(ds, time.Since(start))
			}
			if len(rows) != 20 {
				b.Fatalf("%d rows, want 20", len(rows))
			}
			percentiles(b, ds)
			b.ReportMetric(float64(dbSize(path))/(1<<20), "db-MB")
		})
	}
}

// BenchmarkCollectorPass measures the collector's cost per 1,000 posts:
// one pass reading 500 X posts and 500 Facebook posts from the emulations
// over loopback (10 + 10 requests), storing 1,000 snapshots and charging
// the X reads (recorded once a day, so only on the first pass).
func BenchmarkCollectorPass(b *testing.B) {
	w := ranktest.New(b, ranktest.Options{})
	stories := make([]ranktest.Story, 500)
	for i := range stories {
		stories[i] = ranktest.Story{Key: "s" + strconv.Itoa(i)}
	}
	p := w.Publish(stories...)
	for i, s := range stories {
		n := int64(i)
		w.Set(p, s.Key, ranktest.Figures{X: emulator.XMetrics{Retweets: n, Quotes: n / 10, Likes: 4 * n, Replies: n / 5},
			FB: emulator.GraphEngagement{Shares: n / 2, Reactions: 3 * n, Comments: n / 3}})
	}
	c := w.Collector(rank.Options{})
	ctx := context.Background()
	b.ReportAllocs()
	var ds []time.Duration
	cpu := cputime.Used()
	for b.Loop() {
		w.Clock.Advance(time.Second)
		start := time.Now()
		st, err := c.Pass(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
		if st.Read != 1000 {
			b.Fatalf("read %d posts, want 1000", st.Read)
		}
	}
	// CPU time is steadier than wall time on a busy machine; it includes
	// the emulations' side of the requests, served in this process.
	if cpu := cputime.Used() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(ds)), "cpu-ms/op")
	}
	percentiles(b, ds)
}

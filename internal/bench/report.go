package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/sqlite"
)

// reportNow is the generated data set's present: fixed, so that a cached
// database stays valid.
var reportNow = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// runReport ranks a large SQLite database as `herald report --since 7d
// --limit 20` does (the ranking, then the sparkline series of the table)
// and reports the median of 20 runs. The database is generated once
// (sqlite.Synthesize) and kept in the cache directory.
func runReport(ctx context.Context, e *env) []Result {
	n := e.size(1_000_000, 20_000)
	size := fmt.Sprintf("%d articles, %d posts, %d snapshots", n, 2*n, 20*n)
	const target = "p50 ≤ 100 ms"
	fail := func(err error) []Result { return []Result{failed("report", size, target, err)} }
	path := filepath.Join(e.cacheDir, fmt.Sprintf("herald-bench-report-%d.db", n))
	generated := time.Duration(0)
	if _, err := os.Stat(path + ".done"); err != nil {
		start := time.Now()
		if err := synthesize(ctx, path, n); err != nil {
			return fail(fmt.Errorf("generate %s: %w", path, err))
		}
		generated = time.Since(start)
	}
	db, err := sqlite.Open(ctx, path)
	if err == nil {
		err = db.Migrate(ctx) // a cached file from before a new migration
	}
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	q := herald.ReportQuery{Since: reportNow.Add(-7 * 24 * time.Hour), Until: reportNow, Limit: 20}
	var took []time.Duration
	for range 20 {
		start := time.Now()
		rows, err := db.Report(ctx, q)
		if err == nil && len(rows) != 20 {
			err = fmt.Errorf("report has %d rows, want 20", len(rows))
		}
		if err == nil {
			_, err = rank.SeriesFor(ctx, db, rows, q.Since)
		}
		if err != nil {
			return fail(err)
		}
		took = append(took, time.Since(start))
	}
	p50 := percentile(took, 50)
	var fileMB float64
	if st, err := os.Stat(path); err == nil {
		fileMB = mb(st.Size())
	}
	res := fmt.Sprintf("p50 %.1f ms (max %.1f ms); database %.0f MB", msOf(p50), msOf(took[len(took)-1]), fileMB)
	if generated > 0 {
		res += fmt.Sprintf(", generated in %.0f s", generated.Seconds())
	}
	return []Result{{Scenario: "report", Size: size, Target: target, Result: res, Met: p50 <= 100*time.Millisecond,
		Metrics: map[string]float64{"articles": float64(n), "p50_ms": msOf(p50), "max_ms": msOf(took[len(took)-1]),
			"db_mb": fileMB}}}
}

// synthesize generates the report's data set at path, marking it done.
func synthesize(ctx context.Context, path string, n int) error {
	for _, s := range []string{"", "-wal", "-shm", ".done"} {
		os.Remove(path + s)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	err = db.Migrate(ctx)
	if err == nil {
		err = db.Synthesize(ctx, sqlite.Synthetic{Articles: n, PostsPerArticle: 2, SnapshotsPerPost: 10, Now: reportNow})
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.WriteFile(path+".done", nil, 0o600)
}

// runIdle runs the whole daemon (poller, dispatcher, HTTP server) over 100
// feeds polled every minute that never change, and measures its resident
// set and CPU use once the first cycle is done.
func runIdle(ctx context.Context, e *env) []Result {
	const n = 100
	dur, interval := 5*time.Minute, time.Minute
	if e.quick {
		dur, interval = 10*time.Second, 2*time.Second
	}
	size := fmt.Sprintf("%d feeds every %s for %s", n, interval, dur)
	const target = "RSS ≤ 40 MB, CPU ≤ 0.5 %"
	fail := func(err error) []Result { return []Result{failed("idle", size, target, err)} }
	srv := startFeeds(feedItems, time.Now().Add(-time.Hour))
	defer srv.Close()
	s, err := newStack(ctx, e, "idle", stackOptions{xAccounts: 1})
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	p := s.poller(srv, n, interval, []string{"x0"})
	w := s.webServer("bench-webhook-secret", []string{"x0"})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 3)
	for _, run := range []func(context.Context) error{p.Run, s.disp.Run, w.Run} {
		go func() { run(rctx); done <- struct{}{} }()
	}
	defer func() {
		cancel()
		for range 3 {
			<-done
		}
	}()
	// Idle begins once every feed has been seen (its backlog recorded).
	err = waitFor(ctx, 2*time.Minute, func() (bool, error) {
		return checkSources(ctx, s, n, 0, n*feedItems) == nil, nil
	})
	if err != nil {
		return fail(fmt.Errorf("first cycle: %w", err))
	}
	resetPeak()
	start, cpu0 := time.Now(), cpuTime()
	select {
	case <-time.After(dur):
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	wall, cpu := time.Since(start), cpuTime()-cpu0
	if err := checkSources(ctx, s, n, 304, n*feedItems); err != nil {
		return fail(fmt.Errorf("idle polls: %w", err))
	}
	pct := 100 * cpu.Seconds() / wall.Seconds()
	now, peak := rss(), peakRSS()
	return []Result{{Scenario: "idle", Size: size, Target: target,
		Result: fmt.Sprintf("RSS %.0f MB (peak %.0f MB), CPU %.2f %%", mb(now), mb(peak), pct),
		Met:    now <= 40<<20 && pct <= 0.5,
		Metrics: map[string]float64{"feeds": n, "rss_mb": mb(now), "peak_rss_mb": mb(peak), "cpu_percent": pct,
			"seconds": wall.Seconds()}}}
}

package feed

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/heraldhq/herald/internal/bench/feedserver"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// BenchmarkPollCycle polls N sources of 50 items each, served from one
// loopback server with ETags: a full first cycle (every feed new, 50·N
// articles recorded in SQLite), then unchanged cycles (every feed a 304).
// N is 2,000 (HERALD_BENCH_SOURCES overrides it; -short makes it 200):
//
//	go test -run '^$' -bench PollCycle -benchtime 1x ./internal/feed
//
// It reports the full cycle's time, the unchanged cycle's time (ns/op),
// peak RSS of the whole test process (server included) and allocations per
// poll. Targets on 2 cores: full ≤ 10 s, unchanged ≤ 2 s, peak RSS ≤ 150 MB.
func BenchmarkPollCycle(b *testing.B) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	if v, err := strconv.Atoi(os.Getenv("HERALD_BENCH_SOURCES")); err == nil && v > 0 {
		n = v
	}
	const items = 50
	srv := feedserver.Start(items, benchEpoch)
	b.Cleanup(srv.Close)
	dir := b.TempDir()
	if d := os.Getenv("HERALD_BENCH_DIR"); d != "" {
		var err error
		if dir, err = os.MkdirTemp(d, "herald-bench-"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
	}
	db := teststore.SQLiteAt(b, filepath.Join(dir, "herald.db"))
	sources := make([]SourceConfig, n)
	for i := range sources {
		sources[i] = SourceConfig{
			Name: fmt.Sprintf("feed-%d", i), URL: srv.URL(i),
			Interval: 5 * time.Minute, Targets: []string{"x_main"},
		}
	}
	syncAccounts(b, db, "x_main")
	clk := testkit.NewClock(time.Now())
	p := New(db, Options{Sources: sources, Now: clk.Now, Owner: "bench"}, nil)
	b.Cleanup(p.client.CloseIdleConnections)
	ctx := context.Background()
	if err := p.sync(ctx); err != nil {
		b.Fatal(err)
	}

	full, fullCPU, fullAllocs := measure(func() {
		if err := p.PollOnce(ctx); err != nil {
			b.Fatal(err)
		}
	})
	if got := storedArticles(b, db); got != n*items {
		b.Fatalf("%d articles after the first cycle, want %d", got, n*items)
	}
	var unchangedAllocs uint64
	var unchangedCPU time.Duration
	b.ResetTimer()
	for range b.N {
		clk.Advance(time.Hour) // everything due again
		_, unchangedCPU, unchangedAllocs = measure(func() {
			if err := p.PollOnce(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.StopTimer()
	src := getSource(b, db, "feed-0")
	if src.LastStatus != http.StatusNotModified {
		b.Fatalf("unchanged cycle: feed-0 status %d, want 304", src.LastStatus)
	}
	b.ReportMetric(full.Seconds(), "full-cycle-s")
	b.ReportMetric(fullCPU.Seconds(), "full-cycle-cpu-s")
	b.ReportMetric(unchangedCPU.Seconds(), "304-cycle-cpu-s")
	b.ReportMetric(float64(fullAllocs)/float64(n), "allocs/full-poll")
	b.ReportMetric(float64(unchangedAllocs)/float64(n), "allocs/304-poll")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(n), "sources")
}

// storedArticles sums the sources' article counts (cheaper than listing).
func storedArticles(b *testing.B, db *sqlite.DB) int {
	srcs, err := db.ListSources(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, s := range srcs {
		n += s.ArticleCount
	}
	return n
}

// measure times f (wall clock and the process's CPU time, which other load
// on the machine does not inflate) and counts its heap allocations.
func measure(f func()) (wall, cpu time.Duration, allocs uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	start := time.Now()
	f()
	wall = time.Since(start)
	cpu = cpuTime() - cpu0
	runtime.ReadMemStats(&after)
	return wall, cpu, after.Mallocs - before.Mallocs
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS reads the process's resident-set high-water mark (VmHWM), in bytes.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// benchEpoch is when the benchmark feeds' newest base item was published.
var benchEpoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// BenchmarkChangedBody compares what a poll spends on a changed 50-item
// body with one new item: parsed whole (as before fingerprints) and
// incrementally (the 49 others known from the last body). Run both in one go,
// the machine's load falls on both alike:
//
//	go test -run '^$' -bench ChangedBody -benchtime 200x -count 3 ./internal/feed
//
// unchanged-ns/item is the incremental cost of an item known already: the
// scan, the fingerprint and the lookup (the one new item's parse excluded by
// the all-known case).
func BenchmarkChangedBody(b *testing.B) {
	srv := feedserver.Start(50, benchEpoch)
	b.Cleanup(srv.Close)
	render := func() []byte {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/feed/7", nil))
		return rec.Body.Bytes()
	}
	prev := render()
	srv.Add(7, 1, benchEpoch.Add(time.Hour))
	cur := render()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	mapFor := func(f *gofeed.Feed) *mapper { return newMapper(f, "https://news.example/feed/7", now) }
	first, err := parseBody(prev, "", "", nil, mapFor)
	if err != nil || first.prints == nil {
		b.Fatal(err)
	}
	b.Run("whole", func(b *testing.B) {
		for range b.N {
			f, _, err := parse(cur, "")
			if err != nil {
				b.Fatal(err)
			}
			mapFor(f).items(f)
		}
	})
	b.Run("incremental", func(b *testing.B) {
		for range b.N {
			pb, err := parseBody(cur, "", "", first.prints, mapFor)
			if err != nil || pb.info.Parsed != 1 || len(pb.items) != 1 {
				b.Fatalf("%+v, %v", pb.info, err)
			}
		}
	})
	// The same items under a changed envelope: nothing but known items.
	known := bytes.Replace(prev, []byte("<description>Section 7"), []byte("<description>Section seven"), 1)
	b.Run("all-known", func(b *testing.B) {
		for range b.N {
			pb, err := parseBody(known, "", "", first.prints, mapFor)
			if err != nil || pb.info.Parsed != 0 {
				b.Fatalf("%+v, %v", pb.info, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/50, "unchanged-ns/item")
	})
	// The same items in another order, the envelope as it was: nothing to
	// give gofeed at all.
	reordered := reverseItems(b, prev)
	b.Run("reordered", func(b *testing.B) {
		for range b.N {
			pb, err := parseBody(reordered, "", "", first.prints, mapFor)
			if err != nil || pb.info.Parsed != 0 || pb.info.Title == "" {
				b.Fatalf("%+v, %v", pb.info, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/50, "unchanged-ns/item")
	})
}

// reverseItems returns body with its items in reverse order and everything
// around and between them in place.
func reverseItems(b *testing.B, body []byte) []byte {
	sp, ok := splitFeed(body)
	if !ok || len(sp.items) < 2 {
		b.Fatal("the body does not split into items")
	}
	var out []byte
	last := 0
	for i, s := range sp.items {
		r := sp.items[len(sp.items)-1-i]
		out = append(append(out, body[last:s.start]...), body[r.start:r.end]...)
		last = s.end
	}
	return append(out, body[last:]...)
}

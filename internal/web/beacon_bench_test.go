package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// BenchmarkBeacon measures the view beacon's handler on SQLite, every hit
// from a new client network (so each one is a counted view, a write): its
// p50 latency one hit at a time (clients=1; target ≤ 1 ms) and its
// throughput with many hits in flight, which the store's group commit
// shares out (target ≥ 5,000 hits/s). One op is one hit.
//
//	go test -run '^$' -bench Beacon -benchtime 5000x ./internal/web
func BenchmarkBeacon(b *testing.B) {
	for _, parallelism := range []int{0, 8} {
		name := "clients=1"
		if parallelism > 0 {
			name = fmt.Sprintf("clients=%d", parallelism*runtime.GOMAXPROCS(0))
		}
		b.Run(name, func(b *testing.B) { benchBeacon(b, parallelism) })
	}
}

func benchBeacon(b *testing.B, parallelism int) {
	ctx := context.Background()
	db := teststore.SQLite(b)
	src, err := db.PushSource(ctx, "site")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	items := make([]herald.ArticleInput, 20)
	for i := range items {
		items[i] = herald.ArticleInput{URL: fmt.Sprintf("https://news.example/b/%d", i), Title: "T", PublishedAt: now}
	}
	rs, err := db.SaveArticles(ctx, src.ID, items, now)
	if err != nil {
		b.Fatal(err)
	}
	beacon := newViewBeacon(db, time.Now, func(msg string, args ...any) { b.Errorf("%s %v", msg, args) })
	var n atomic.Int64
	hit := func() time.Duration {
		i := n.Add(1)
		r := httptest.NewRequest(http.MethodGet, "/v/x", nil)
		r.SetPathValue("article", fmt.Sprint(rs[i%20].Article.ID))
		r.RemoteAddr = "127.0.0.1:4000"
		r.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.1", i>>8&255, i&255))
		r.Header.Set("User-Agent", browserUA)
		w := httptest.NewRecorder()
		start := time.Now()
		beacon.ServeHTTP(w, r)
		return time.Since(start)
	}
	var mu sync.Mutex
	var took []time.Duration
	b.ResetTimer()
	start := time.Now()
	if parallelism == 0 {
		took = make([]time.Duration, 0, b.N)
		for range b.N {
			took = append(took, hit())
		}
	} else {
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for pb.Next() {
				mine = append(mine, hit())
			}
			mu.Lock()
			took = append(took, mine...)
			mu.Unlock()
		})
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(len(took))/elapsed.Seconds(), "hits/s")
}

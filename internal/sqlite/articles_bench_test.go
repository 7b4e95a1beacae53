package sqlite_test

import "testing"

// BenchmarkSaveBacklog saves batches of 50 new stories that are not
// announced (no jobs), as the first poll of a feed does; an op is a batch.
func BenchmarkSaveBacklog(b *testing.B) {
	db, src := benchStore(b)
	n := 0
	reportCPU(b)
	for b.Loop() {
		items := batch(50, n)
		for i := range items {
			items[i].Announce = false
		}
		if _, err := db.SaveArticles(b.Context(), src, items, benchNow); err != nil {
			b.Fatal(err)
		}
		n += 50
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
}

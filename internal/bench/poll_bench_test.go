package bench

import (
	"log/slog"
	"os"
	"strings"
	"testing"
)

// BenchmarkFirstPoll runs the poll scenario (the first cycle over 10,000
// feeds of 50 items, then the unchanged one) at full size once, so that it
// can be profiled:
//
//	HERALD_BENCH_POLL=1 go test -run '^$' -bench FirstPoll -benchtime 1x -cpuprofile cpu.out ./internal/bench
//
// It is skipped unless HERALD_BENCH_POLL is set (it takes a minute or more).
func BenchmarkFirstPoll(b *testing.B) {
	if os.Getenv("HERALD_BENCH_POLL") == "" {
		b.Skip("set HERALD_BENCH_POLL=1 to run the full-size poll scenario")
	}
	e := &env{dir: b.TempDir(), log: slog.New(slog.DiscardHandler)}
	for range b.N {
		for _, r := range runPoll(b.Context(), e) {
			if r.Error != "" {
				b.Fatalf("%s: %s", r.Scenario, r.Error)
			}
			b.Logf("%s: %s", r.Scenario, r.Result)
			for k, v := range r.Metrics {
				b.ReportMetric(v, strings.ReplaceAll(r.Scenario, " ", "-")+"-"+k)
			}
		}
	}
}

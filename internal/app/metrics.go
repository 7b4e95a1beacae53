package app

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/metrics"
)

// sourceMetrics exports the sources' polling state, read from the store at
// each scrape (so it is true whichever instance polled):
//
//	herald_source_failures{source}                 consecutive failed polls (0: its last poll succeeded)
//	herald_source_last_poll_timestamp_seconds{source}  when a source was last polled (Unix time)
//	herald_source_last_status{source}              HTTP status of the last poll (0: network or parse error)
//	herald_source_articles{source}                 articles seen in the source
//
// A store that does not answer leaves them out of that scrape (logged).
type sourceMetrics struct {
	store herald.Store
	log   *slog.Logger
}

// write writes the series, for metrics.Set.RegisterMetricsWriter.
func (m *sourceMetrics) write(w io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	srcs, err := m.store.ListSources(ctx)
	if err != nil {
		m.log.Warn("metrics: list sources", "error", err)
		return
	}
	var failures, articles, lastPoll, status []metrics.Sample
	for _, s := range srcs {
		if s.URL == "" {
			continue // push-only (webhook) sources are never polled
		}
		labels := []string{"source", s.Name}
		failures = append(failures, metrics.Sample{Labels: labels, Value: float64(s.Failures)})
		articles = append(articles, metrics.Sample{Labels: labels, Value: float64(s.ArticleCount)})
		if !s.LastPolledAt.IsZero() {
			lastPoll = append(lastPoll, metrics.Sample{Labels: labels, Value: float64(s.LastPolledAt.Unix())})
			status = append(status, metrics.Sample{Labels: labels, Value: float64(s.LastStatus)})
		}
	}
	metrics.WriteFamily(w, "herald_source_articles", "gauge", articles)
	metrics.WriteFamily(w, "herald_source_failures", "gauge", failures)
	metrics.WriteFamily(w, "herald_source_last_poll_timestamp_seconds", "gauge", lastPoll)
	metrics.WriteFamily(w, "herald_source_last_status", "gauge", status)
}

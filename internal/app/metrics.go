package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldhq/herald/internal/herald"
)

// sourceMetrics exports the sources' polling state, read from the store at
// each scrape (so it is true whichever instance polled):
//
//	herald_source_failures{source}                 consecutive failed polls
//	herald_source_last_poll_timestamp_seconds{source}
//	herald_source_last_status{source}              HTTP status of the last poll (0: network or parse error)
//	herald_source_articles{source}                 articles seen in the source
type sourceMetrics struct {
	store herald.Store
}

var (
	srcFailuresDesc = prometheus.NewDesc("herald_source_failures",
		"Consecutive failed polls of a source (0: its last poll succeeded).", []string{"source"}, nil)
	srcLastPollDesc = prometheus.NewDesc("herald_source_last_poll_timestamp_seconds",
		"When a source was last polled (Unix time).", []string{"source"}, nil)
	srcStatusDesc = prometheus.NewDesc("herald_source_last_status",
		"HTTP status of a source's last poll (0: a network or parse error).", []string{"source"}, nil)
	srcArticlesDesc = prometheus.NewDesc("herald_source_articles",
		"Articles seen in a source.", []string{"source"}, nil)
)

// Describe implements prometheus.Collector.
func (m *sourceMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- srcFailuresDesc
	ch <- srcLastPollDesc
	ch <- srcStatusDesc
	ch <- srcArticlesDesc
}

// Collect implements prometheus.Collector.
func (m *sourceMetrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	srcs, err := m.store.ListSources(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(srcFailuresDesc, err)
		return
	}
	for _, s := range srcs {
		if s.URL == "" {
			continue // push-only (webhook) sources are never polled
		}
		ch <- prometheus.MustNewConstMetric(srcFailuresDesc, prometheus.GaugeValue, float64(s.Failures), s.Name)
		ch <- prometheus.MustNewConstMetric(srcArticlesDesc, prometheus.GaugeValue, float64(s.ArticleCount), s.Name)
		if !s.LastPolledAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(srcLastPollDesc, prometheus.GaugeValue, float64(s.LastPolledAt.Unix()), s.Name)
			ch <- prometheus.MustNewConstMetric(srcStatusDesc, prometheus.GaugeValue, float64(s.LastStatus), s.Name)
		}
	}
}

package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/metrics/metricstest"
)

// sourcesStore answers ListSources only.
type sourcesStore struct {
	herald.Store
	sources []herald.Source
	err     error
}

func (s sourcesStore) ListSources(context.Context) ([]herald.Source, error) { return s.sources, s.err }

// TestSourceMetricsReadTheStore: each polled source's state, under its
// name however odd, with the never-polled sources' times left out and the
// push-only sources skipped; a store that fails leaves them all out.
func TestSourceMetricsReadTheStore(t *testing.T) {
	odd := "Nación \"hoy\" \\ dos\nlíneas"
	polled := time.Unix(1_780_000_000, 0)
	st := sourcesStore{sources: []herald.Source{
		{Name: odd, URL: "https://news.example/a.xml", LastPolledAt: polled, LastStatus: 304, Failures: 2, ArticleCount: 7},
		{Name: "new", URL: "https://news.example/b.xml"},
		{Name: "webhook", ArticleCount: 9},
	}}
	set := metrics.NewSet()
	set.RegisterMetricsWriter((&sourceMetrics{store: st, log: slog.New(slog.DiscardHandler)}).write)
	got := metricstest.Scrape(t, set)
	want := map[string]float64{
		"herald_source_failures" + src(odd): 2, "herald_source_articles" + src(odd): 7,
		"herald_source_last_poll_timestamp_seconds" + src(odd): float64(polled.Unix()),
		"herald_source_last_status" + src(odd):                 304,
		"herald_source_failures" + src("new"):                  0, "herald_source_articles" + src("new"): 0,
	}
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%q = %v (%v), want %v", k, g, ok, v)
		}
	}

	set = metrics.NewSet()
	set.RegisterMetricsWriter((&sourceMetrics{store: sourcesStore{err: errors.New("down")},
		log: slog.New(slog.DiscardHandler)}).write)
	var b bytes.Buffer
	set.WritePrometheus(&b)
	if b.Len() != 0 {
		t.Errorf("a failing store: %s", b.String())
	}
}

// src is the label set of a source's series, as metricstest.Scrape keys it.
func src(name string) string { return fmt.Sprintf("{source=%q}", name) }

package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/metrics"
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
	var b bytes.Buffer
	set.WritePrometheus(&b)
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(&b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	got := map[string]float64{}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			got[name+"/"+m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"herald_source_failures/" + odd: 2, "herald_source_articles/" + odd: 7,
		"herald_source_last_poll_timestamp_seconds/" + odd: float64(polled.Unix()),
		"herald_source_last_status/" + odd:                 304,
		"herald_source_failures/new":                       0, "herald_source_articles/new": 0,
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
	b.Reset()
	set.WritePrometheus(&b)
	if b.Len() != 0 {
		t.Errorf("a failing store: %s", b.String())
	}
}

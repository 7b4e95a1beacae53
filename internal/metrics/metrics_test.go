package metrics

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// odd are label values from the configuration or the network that the text
// format must escape or carry as they are.
var odd = []string{
	`say "hi"`, `C:\feeds\`, "two\nlines", "with spaces", "Ciudad de México ☕", "",
	`\"`, "}", `{a="b"}`, ",", "\xff\xfe",
}

func TestSeriesEscapesAndSorts(t *testing.T) {
	for in, want := range map[string]string{
		Series("f"):                                   "f",
		Series("f", "b", "2", "a", "1"):               `f{a="1",b="2"}`,
		Series("f", "a", `q"\`+"\n"):                  `f{a="q\"\\\n"}`,
		Series("f", "a", "1", "dangling"):             `f{a="1"}`,
		Series("f", "a", "\xff"):                      "f{a=\"\uFFFD\"}",
		Series("f", "route", "GET /x", "code", "200"): `f{code="200",route="GET /x"}`,
	} {
		if in != want {
			t.Errorf("got %s, want %s", in, want)
		}
	}
}

// TestScrapeRoundTrips parses the whole output of the handler over a set of
// every kind and finds each value written, under the label values given.
func TestScrapeRoundTrips(t *testing.T) {
	set := NewSet()
	for i, v := range odd {
		set.GetOrCreateCounter(Series("test_requests_total", "source", v, "code", "200")).Add(i + 1)
	}
	set.GetOrCreateGauge(Series("test_paused", "account", odd[0]), nil).Set(1)
	h := set.GetOrCreatePrometheusHistogramExt(Series("test_latency_seconds", "account", odd[2]),
		[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30})
	for _, v := range []float64{.003, .02, .02, 7, 100} {
		h.Update(v)
	}
	set.RegisterMetricsWriter(func(w io.Writer) {
		samples := make([]Sample, len(odd))
		for i, v := range odd {
			samples[i] = Sample{Labels: []string{"source", v}, Value: float64(10 * i)}
		}
		WriteFamily(w, "test_source_articles", "gauge", samples)
		WriteFamily(w, "test_dropped_total", "counter", []Sample{{Value: 3}})
		WriteFamily(w, "test_none", "gauge", nil)
	})

	srv := httptest.NewServer(Handler(set))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != ContentType {
		t.Errorf("Content-Type %q", ct)
	}
	body, _ := io.ReadAll(resp.Body)
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}

	valid := func(v string) string { return strings.ToValidUTF8(v, "\uFFFD") }
	find := func(family string, typ dto.MetricType, labels map[string]string) *dto.Metric {
		t.Helper()
		mf := families[family]
		if mf == nil {
			t.Fatalf("no family %s", family)
		}
		if mf.GetType() != typ {
			t.Errorf("%s is %v, want %v", family, mf.GetType(), typ)
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
					continue next
				}
			}
			return m
		}
		t.Fatalf("%s has no series %v", family, labels)
		return nil
	}
	for i, v := range odd {
		m := find("test_requests_total", dto.MetricType_COUNTER, map[string]string{"source": valid(v), "code": "200"})
		if got := m.GetCounter().GetValue(); got != float64(i+1) {
			t.Errorf("test_requests_total{source=%q} = %v, want %d", v, got, i+1)
		}
		m = find("test_source_articles", dto.MetricType_GAUGE, map[string]string{"source": valid(v)})
		if got := m.GetGauge().GetValue(); got != float64(10*i) {
			t.Errorf("test_source_articles{source=%q} = %v, want %d", v, got, 10*i)
		}
	}
	if got := find("test_paused", dto.MetricType_GAUGE, map[string]string{"account": odd[0]}).GetGauge().GetValue(); got != 1 {
		t.Errorf("test_paused = %v", got)
	}
	if got := find("test_dropped_total", dto.MetricType_COUNTER, nil).GetCounter().GetValue(); got != 3 {
		t.Errorf("test_dropped_total = %v", got)
	}
	if families["test_none"] != nil {
		t.Error("a family without samples is written")
	}
	hist := find("test_latency_seconds", dto.MetricType_HISTOGRAM, map[string]string{"account": odd[2]}).GetHistogram()
	if hist.GetSampleCount() != 5 || hist.GetSampleSum() != .003+.02+.02+7+100 {
		t.Errorf("histogram count %d sum %v", hist.GetSampleCount(), hist.GetSampleSum())
	}
	wantBuckets := map[float64]uint64{.005: 1, .01: 1, .025: 3, 5: 3, 10: 4, 30: 4, math.Inf(1): 5}
	if len(hist.GetBucket()) != 13 { // the 12 bounds and +Inf
		t.Errorf("%d buckets, want 13", len(hist.GetBucket()))
	}
	for _, b := range hist.GetBucket() {
		if want, ok := wantBuckets[b.GetUpperBound()]; ok && b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"} {
		if families[name] == nil || len(families[name].GetMetric()) == 0 {
			t.Errorf("no %s", name)
		}
	}
	if v := families["go_goroutines"].GetMetric()[0].GetGauge().GetValue(); v < 1 {
		t.Errorf("go_goroutines = %v", v)
	}
}

// TestSeriesNeverPanics registers series of every odd value: the library
// panics on a name it cannot parse.
func TestSeriesNeverPanics(t *testing.T) {
	set := NewSet()
	for _, v := range odd {
		set.GetOrCreateCounter(Series("test_total", "a", v, "b", v)).Inc()
		set.GetOrCreatePrometheusHistogramExt(Series("test_seconds", "a", v), []float64{1}).Update(2)
		set.GetOrCreateGauge(Series("test_gauge", "a", v), nil).Set(1)
	}
}

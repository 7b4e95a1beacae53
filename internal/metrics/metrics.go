// Package metrics is the adapter to github.com/VictoriaMetrics/metrics: a
// set of series per daemon, the names of labelled series, and the /metrics
// handler in the Prometheus text format.
package metrics

import (
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	vm "github.com/VictoriaMetrics/metrics"
)

// ContentType is the media type of the Prometheus text format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

type (
	// Set holds one daemon's series (never the library's global set).
	Set = vm.Set
	// Counter is a series that only goes up.
	Counter = vm.Counter
)

// NewSet returns an empty set. Its series are exposed with their TYPE
// lines: the library only switches these on for the whole process, and
// every set Herald makes wants them.
func NewSet() *Set {
	vm.ExposeMetadata(true)
	return vm.NewSet()
}

// Series names the series of family with the labels given as name, value
// pairs: family{a="x",b="y"}, the labels sorted by name and the values
// escaped as the text format requires, so that any value (from the
// configuration or the network) makes a valid name. An unpaired last
// argument is ignored.
func Series(family string, labels ...string) string {
	n := len(labels) / 2
	if n == 0 {
		return family
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = 2 * i
	}
	sort.SliceStable(idx, func(a, b int) bool { return labels[idx[a]] < labels[idx[b]] })
	var b strings.Builder
	b.WriteString(family)
	b.WriteByte('{')
	for i, j := range idx {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(labels[j])
		b.WriteString(`="`)
		escape(&b, labels[j+1])
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// escape writes v as a label value: backslash, double quote and line feed
// escaped, invalid UTF-8 replaced.
func escape(b *strings.Builder, v string) {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, string(utf8.RuneError))
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
}

// Sample is one series of a family written at scrape time: its labels as
// name, value pairs (see Series) and its value.
type Sample struct {
	Labels []string
	Value  float64
}

// WriteFamily writes the samples of the family of type typ ("counter",
// "gauge") read at scrape time, for Set.RegisterMetricsWriter; no samples
// write nothing.
func WriteFamily(w io.Writer, family, typ string, samples []Sample) {
	if len(samples) == 0 {
		return
	}
	vm.WriteMetadataIfNeeded(w, family, typ)
	var b []byte
	for _, s := range samples {
		b = append(b, Series(family, s.Labels...)...)
		b = append(b, ' ')
		b = strconv.AppendFloat(b, s.Value, 'g', -1, 64)
		b = append(b, '\n')
	}
	_, _ = w.Write(b)
}

// Handler serves the series of set and the go_* and process_* series of
// the process (process_open_fds and process_max_fds included).
func Handler(set *Set) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		set.WritePrometheus(w)
		vm.WriteProcessMetrics(w)
		vm.WriteFDMetrics(w)
	})
}

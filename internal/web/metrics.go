package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/metrics"
)

// durationBuckets are the bounds of herald_http_request_duration_seconds.
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}

// serverMetrics are the server's own series, in a set that two servers may
// share (they then count into the same series):
//
//	herald_http_requests_total{route,code}            HTTP requests served, by route pattern and status code
//	herald_http_request_duration_seconds{route}       time to serve an HTTP request, by route pattern
//	herald_webhook_articles_total{result}             articles received by the CMS webhook: new, or already known
type serverMetrics struct {
	set *metrics.Set
}

// request counts and times one request.
func (m serverMetrics) request(route string, code int, d time.Duration) {
	m.set.GetOrCreateCounter(metrics.Series("herald_http_requests_total", "route", route, "code", strconv.Itoa(code))).Inc()
	m.set.GetOrCreatePrometheusHistogramExt(metrics.Series("herald_http_request_duration_seconds", "route", route),
		durationBuckets).Update(d.Seconds())
}

// article counts one article received by the webhook.
func (m serverMetrics) article(result string) {
	m.set.GetOrCreateCounter(metrics.Series("herald_webhook_articles_total", "result", result)).Inc()
}

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts and times requests by route pattern (never by raw path,
// which would let clients create unbounded label values), and logs each at
// debug level without its query string.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		s.metrics.request(route, sw.code, elapsed)
		s.logger.Debug("http request", "method", r.Method, "path", r.URL.Path,
			"route", route, "status", sw.code, "duration", elapsed)
	})
}

package dispatch

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldhq/herald/internal/herald"
)

// Metrics are the dispatcher's Prometheus collectors.
type Metrics struct {
	jobs    *prometheus.GaugeVec
	sends   *prometheus.CounterVec
	latency *prometheus.HistogramVec
	paused  *prometheus.GaugeVec
	budget  *prometheus.GaugeVec
}

// NewMetrics creates the dispatcher's collectors and registers them on reg
// (nil: not registered):
//
//	herald_jobs{state}                               jobs by state (whole queue)
//	herald_sends_total{account,outcome}              attempts by outcome
//	herald_api_latency_seconds{account,network,op}   network call latency
//	herald_account_paused{account}                   1 while paused by an auth error
//	herald_account_budget_reached{account}           1 while the monthly budget is spent
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "herald_jobs", Help: "Post jobs by state.",
		}, []string{"state"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_sends_total", Help: "Post jobs handled, by account and outcome.",
		}, []string{"account", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herald_api_latency_seconds",
			Help:    "Latency of calls to the networks' APIs.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"account", "network", "op"}),
		paused: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "herald_account_paused", Help: "1 while an account is paused by an auth error.",
		}, []string{"account"}),
		budget: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "herald_account_budget_reached", Help: "1 while an account's monthly budget is spent.",
		}, []string{"account"}),
	}
	if reg != nil {
		reg.MustRegister(m.jobs, m.sends, m.latency, m.paused, m.budget)
	}
	return m
}

// ObserveAPI records the latency of one network call (op: "publish",
// "find_post", "engagement", ...), for other callers of a Publisher.
func (m *Metrics) ObserveAPI(account string, network herald.Network, op string, d time.Duration) {
	if m == nil {
		return
	}
	m.latency.WithLabelValues(account, string(network), op).Observe(d.Seconds())
}

func (d *Dispatcher) metric(f func(m *Metrics)) {
	if d.opts.Metrics != nil {
		f(d.opts.Metrics)
	}
}

func (d *Dispatcher) observe(a *Account, op string, dur time.Duration) {
	d.opts.Metrics.ObserveAPI(a.ID, a.Network, op, dur)
}

// count records an outcome: sent, skipped, failed, or for a job given back
// the kind of error that sent it back (retryable, rate_limited, auth,
// unknown_outcome, ...).
func (d *Dispatcher) count(a *Account, _ herald.Job, o herald.Outcome) {
	d.metric(func(m *Metrics) {
		outcome := string(o.State)
		if o.State == herald.JobPending {
			outcome = "released"
			if o.ErrorKind != "" {
				outcome = string(o.ErrorKind)
			}
		}
		m.sends.WithLabelValues(a.ID, outcome).Inc()
	})
}

// refreshGauge sets herald_jobs from the store (the whole queue, whichever
// instance owns it) and herald_account_paused from the accounts' state.
func (d *Dispatcher) refreshGauge(ctx context.Context) {
	m := d.opts.Metrics
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	counts, err := d.store.CountJobs(ctx, "")
	if err != nil {
		d.log.Warn("dispatch: count jobs", "error", err)
		return
	}
	for _, s := range herald.JobStates {
		m.jobs.WithLabelValues(string(s)).Set(float64(counts[s]))
	}
	for _, id := range d.order {
		acc, err := d.store.GetAccount(ctx, id)
		if err != nil {
			continue
		}
		v := 0.0
		if acc.Paused {
			v = 1
		}
		m.paused.WithLabelValues(id).Set(v)
	}
}

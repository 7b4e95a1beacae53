package dispatch

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/metrics"
)

// latencyBuckets are the bounds of herald_api_latency_seconds.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Metrics are the dispatcher's series.
type Metrics struct {
	set *metrics.Set
}

// NewMetrics returns the dispatcher's series, kept in set (nil: a set of
// their own, exposed nowhere):
//
//	herald_jobs{state}                               post jobs by state (whole queue)
//	herald_sends_total{account,outcome}              post jobs handled, by account and outcome
//	herald_api_latency_seconds{account,network,op}   latency of calls to the networks' APIs
//	herald_account_paused{account}                   1 while an account is paused by an auth error
//	herald_account_budget_reached{account}           1 while an account's monthly budget is spent
func NewMetrics(set *metrics.Set) *Metrics {
	if set == nil {
		set = metrics.NewSet()
	}
	return &Metrics{set: set}
}

// ObserveAPI records the latency of one network call (op: "publish",
// "find_post", "engagement", ...), for other callers of a Publisher.
func (m *Metrics) ObserveAPI(account string, network herald.Network, op string, d time.Duration) {
	if m == nil {
		return
	}
	m.set.GetOrCreatePrometheusHistogramExt(metrics.Series("herald_api_latency_seconds",
		"account", account, "network", string(network), "op", op), latencyBuckets).Update(d.Seconds())
}

// gauge sets the gauge family{labels} to v.
func (m *Metrics) gauge(family string, v float64, labels ...string) {
	m.set.GetOrCreateGauge(metrics.Series(family, labels...), nil).Set(v)
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
		m.set.GetOrCreateCounter(metrics.Series("herald_sends_total", "account", a.ID, "outcome", outcome)).Inc()
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
		m.gauge("herald_jobs", float64(counts[s]), "state", string(s))
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
		m.gauge("herald_account_paused", v, "account", id)
	}
}

package push

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of the callback's limit on rejected pushes.
const (
	DefaultRejectLimit = 30 // rejected pushes per client and minute
	maxRejectClients   = 10000
)

// rejectLimiter counts each client's rejected pushes in the current minute.
// Memory is bounded: past maxRejectClients clients in one minute, the rest
// share one count.
type rejectLimiter struct {
	limit int
	now   func() time.Time

	mu     sync.Mutex
	minute time.Time
	counts map[string]int
}

func newRejectLimiter(limit int, now func() time.Time) *rejectLimiter {
	return &rejectLimiter{limit: limit, now: now, counts: map[string]int{}}
}

// roll starts a new count when the minute has changed. l.mu is held.
func (l *rejectLimiter) roll() {
	if m := l.now().Truncate(time.Minute); !m.Equal(l.minute) {
		l.minute, l.counts = m, map[string]int{}
	}
}

// allow reports whether client may still be heard this minute.
func (l *rejectLimiter) allow(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll()
	if _, ok := l.counts[client]; !ok && len(l.counts) >= maxRejectClients {
		client = "*"
	}
	return l.counts[client] < l.limit
}

// add counts one rejected push of client.
func (l *rejectLimiter) add(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll()
	if _, ok := l.counts[client]; !ok && len(l.counts) >= maxRejectClients {
		client = "*"
	}
	l.counts[client]++
}

// peerIP is the default client of a callback call: the peer's address.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// initRejects sets up the rejection counter and limit of the callback.
func (s *Subscriber) initRejects() {
	if s.opts.ClientKey == nil {
		s.opts.ClientKey = peerIP
	}
	if s.opts.RejectLimit <= 0 {
		s.opts.RejectLimit = DefaultRejectLimit
	}
	s.rejects = newRejectLimiter(s.opts.RejectLimit, s.opts.Now)
	s.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_websub_rejected_total",
		Help: "WebSub pushes refused, by reason (no_subscription, wrong_callback_key, missing_signature, invalid_signature, rate_limited).",
	}, []string{"reason"})
	if s.opts.Registry != nil {
		s.opts.Registry.MustRegister(s.rejected)
	}
}

package push

import (
	"net"
	"net/http"

	"github.com/heraldhq/herald/internal/limit"
	"github.com/heraldhq/herald/internal/metrics"
)

// DefaultRejectLimit is how many rejected pushes one client may send a
// minute before it is answered 429.
const DefaultRejectLimit = 30

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
	s.rejects = limit.NewFailures(s.opts.RejectLimit, s.opts.Now)
	s.metrics = s.opts.Metrics
	if s.metrics == nil {
		s.metrics = metrics.NewSet()
	}
}

// countRejected counts a push refused for reason in
// herald_websub_rejected_total.
func (s *Subscriber) countRejected(reason string) {
	s.metrics.GetOrCreateCounter(metrics.Series("herald_websub_rejected_total", "reason", reason)).Inc()
}

package push

import (
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldhq/herald/internal/limit"
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
	s.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_websub_rejected_total",
		Help: "WebSub pushes refused, by reason (no_subscription, wrong_callback_key, missing_signature, invalid_signature, rate_limited).",
	}, []string{"reason"})
	if s.opts.Registry != nil {
		s.opts.Registry.MustRegister(s.rejected)
	}
}

package web

import (
	"net"
	"net/http"

	"github.com/heraldhq/herald/internal/herald"
)

// recordClick counts a reader's click on code once per client network and
// UTC day, and returns its job.
func (d *dashboard) recordClick(r *http.Request, code string) (herald.Job, error) {
	j, _, err := d.s.opts.Store.RecordClickOnce(r.Context(), code, clickNetwork(clientIP(r)), d.s.opts.Now())
	return j, err
}

// clickNetwork is the network a click is counted once for: the client's
// IPv4 /24 or IPv6 /64 (one household, office or mobile carrier's NAT).
func clickNetwork(ip string) string {
	addr := net.ParseIP(ip)
	if addr == nil {
		return ip
	}
	if v4 := addr.To4(); v4 != nil {
		return (&net.IPNet{IP: v4.Mask(net.CIDRMask(24, 32)), Mask: net.CIDRMask(24, 32)}).String()
	}
	return (&net.IPNet{IP: addr.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

package web

import (
	"net"
	"net/http"

	"github.com/heraldhq/herald/internal/herald"
)

// recordClick counts a reader's click on code once per client network and
// UTC day when the store can (herald.ClickRecorder), and returns its job.
func (d *dashboard) recordClick(r *http.Request, code string) (herald.Job, error) {
	now := d.s.opts.Now()
	if cr, ok := d.s.opts.Store.(herald.ClickRecorder); ok {
		j, _, err := cr.RecordClickOnce(r.Context(), code, clickNetwork(clientIP(r)), now)
		return j, err
	}
	return d.s.opts.Store.RecordClick(r.Context(), code, now)
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

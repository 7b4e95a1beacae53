// Package netguard is Herald's outbound policy for destinations that come
// from content rather than from the configuration: feed redirects, item
// images, WebSub hubs. It is applied when a connection is dialled, after the
// name is resolved, so a name that resolves (or rebinds) to an internal
// address is refused as the address itself is.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Guard dials only public addresses unless AllowPrivate is set. The zero
// value is the strict policy with the system resolver and dialer.
type Guard struct {
	// AllowPrivate lets every address through (feed.allow_private_networks,
	// or a source whose configured URL is on an internal network).
	AllowPrivate bool
	// Lookup resolves a host name (default: net.DefaultResolver).
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// Dial connects to an address already checked (default: a net.Dialer
	// with a 10 s timeout and keep-alives).
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// RefusedError is a connection the policy refused.
type RefusedError struct {
	Host   string     // the name asked for
	Addr   netip.Addr // the address it resolved to
	Reason string     // "loopback", "private", …
}

func (e *RefusedError) Error() string {
	host := ""
	if e.Host != e.Addr.String() {
		host = " (" + e.Host + ")"
	}
	return fmt.Sprintf("outbound policy: refused %s%s: %s address (set feed.allow_private_networks: true to allow internal networks)",
		e.Addr, host, e.Reason)
}

// ErrRefused matches every *RefusedError with errors.Is.
var ErrRefused = errors.New("outbound policy: refused")

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// cgnat is the shared address space of carrier-grade NAT (RFC 6598).
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Classify returns why addr is not a public address ("" when it is).
// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
func Classify(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case !addr.IsValid():
		return "invalid"
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsLoopback():
		return "loopback"
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return "link-local"
	case addr.IsMulticast():
		return "multicast"
	case addr.Is4() && cgnat.Contains(addr):
		return "shared (CGNAT)"
	case addr.Is6() && addr.IsPrivate():
		return "unique-local"
	case addr.IsPrivate():
		return "private"
	case addr.Is4() && addr.As4()[0] == 0: // "this network", 0.0.0.0/8
		return "unspecified"
	case addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	return ""
}

// DialContext resolves address's host, refuses it if any of its addresses is
// not public (unless AllowPrivate), and dials the first one that answers. It
// fits http.Transport.DialContext.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("outbound policy: %w", err)
	}
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	if !g.AllowPrivate {
		// Every address must pass: a name that mixes public and internal
		// addresses is a rebinding attempt, not an accident.
		for _, a := range addrs {
			if why := Classify(a); why != "" {
				return nil, &RefusedError{Host: host, Addr: a.Unmap(), Reason: why}
			}
		}
	}
	dial := g.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	var errs []error
	for _, a := range addrs {
		c, err := dial(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, nil
	}
	lookup := g.Lookup
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	addrs, err := lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	return addrs, nil
}

// Internal reports whether rawURL's host resolves to an address that is not
// public: a configured URL on an intranet, whose source may then reach
// internal networks. A URL that does not parse or resolve is not internal.
func (g *Guard) Internal(ctx context.Context, rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return false
	}
	addrs, err := g.resolve(ctx, u.Hostname())
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if Classify(a) != "" {
			return true
		}
	}
	return false
}

// Private returns a copy of g that allows internal networks.
func (g Guard) Private() *Guard {
	g.AllowPrivate = true
	return &g
}

// Transport is an http.Transport (HTTP/2, keep-alives) whose connections go
// through g. Callers tune its limits. Only where internal networks are
// allowed does it use a proxy from the environment: a proxy resolves and
// connects out of the policy's sight.
func (g *Guard) Transport() *http.Transport {
	var proxy func(*http.Request) (*url.URL, error)
	if g.AllowPrivate {
		proxy = http.ProxyFromEnvironment
	}
	return &http.Transport{
		Proxy:                 proxy,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

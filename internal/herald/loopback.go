package herald

import (
	"net"
	"strings"
)

// IsLoopbackAddr reports whether a listen address ("host:port") only accepts
// local connections: its host is a loopback IP or "localhost". An empty host
// (all interfaces) or any other name is not.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	return IsLoopbackHost(host)
}

// IsLoopbackHost reports whether host (a name or an IP, IPv6 with or
// without brackets) is "localhost" or a loopback IP.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

package testkit

import (
	"net"
	"testing"
)

// FreeAddr returns a loopback address (host:port) whose port nothing
// listens on at the moment, for a child process that must be told its
// address in advance.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

package testkit

import (
	"net"
	"testing"
)

// FreeAddr returns a loopback address nothing listens on (a port the
// system just gave out and took back), for a server a test starts later
// or for a refused connection.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

package nettest

import (
	"testing"

	"github.com/heraldhq/herald/internal/emulator"
)

// StartX serves an X emulation for users, without post or read limits, and
// returns it with its URL; the server is closed when the test ends.
func StartX(t testing.TB, users ...emulator.XUser) (*emulator.X, string) {
	t.Helper()
	x, srv := emulator.StartX(emulator.XOptions{Users: users, PostLimit: -1, PostLimit24h: -1, ReadLimit: -1})
	t.Cleanup(srv.Close)
	return x, srv.URL
}

// StartGraph serves a Graph API emulation holding pages and returns it with
// its URL; the server is closed when the test ends.
func StartGraph(t testing.TB, pages ...emulator.GraphPage) (*emulator.Graph, string) {
	t.Helper()
	g, srv := emulator.StartGraph(emulator.GraphOptions{})
	t.Cleanup(srv.Close)
	for _, p := range pages {
		g.AddPage(p)
	}
	return g, srv.URL
}

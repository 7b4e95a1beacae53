// Package emulator emulates, over HTTP on loopback, the parts of the X API and
// the Facebook Graph API that Herald uses, true to their public documentation:
// paths, status codes, error bodies and rate-limit headers. Tests drive Herald's
// real client libraries against it, and `sandbox: true` runs it in-process so a
// fresh checkout shows the whole flow without credentials.
package emulator

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Fault is what an emulation does to one request instead of (or after) serving it.
type Fault int

// Faults that can be injected.
const (
	FaultNone Fault = iota
	// FaultServerError answers 503 without doing anything.
	FaultServerError
	// FaultRateLimit answers 429 as the real API does, without doing anything.
	FaultRateLimit
	// FaultDrop does the work (a post is created) and then drops the
	// connection without an answer: the caller cannot know it succeeded.
	FaultDrop
)

// faults injects failures at random into write requests. The zero value injects
// none. Safe for concurrent use; Set may be called while serving.
type Faults struct {
	mu        sync.Mutex
	rng       *rand.Rand
	serverErr float64
	rateLimit float64
	drop      float64
	delay     time.Duration
	forced    []Fault // served first, in order, before the random ones
	arrived   int     // write requests decided, answered or not yet
}

// Set sets the probabilities (0..1) of a 5xx, a 429 and an accept-then-drop,
// and a delay added to every request. seed makes the sequence repeatable.
func (f *Faults) Set(serverErr, rateLimit, drop float64, delay time.Duration, seed uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.serverErr, f.rateLimit, f.drop, f.delay = serverErr, rateLimit, drop, delay
	f.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// Next queues faults to be served, in order, to the next write requests.
func (f *Faults) Next(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forced = append(f.forced, faults...)
}

// Arrived counts the write requests that have reached the emulation,
// including those still waiting out a delay: a call on the wire.
func (f *Faults) Arrived() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.arrived
}

// Decide picks the fault for one write request and returns the delay to apply.
func (f *Faults) Decide() (Fault, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arrived++
	if len(f.forced) > 0 {
		x := f.forced[0]
		f.forced = f.forced[1:]
		return x, f.delay
	}
	if f.rng == nil {
		return FaultNone, f.delay
	}
	r := f.rng.Float64()
	switch {
	case r < f.serverErr:
		return FaultServerError, f.delay
	case r < f.serverErr+f.rateLimit:
		return FaultRateLimit, f.delay
	case r < f.serverErr+f.rateLimit+f.drop:
		return FaultDrop, f.delay
	}
	return FaultNone, f.delay
}

// DropConnection closes the client's connection without writing an answer,
// as a proxy or network failure after the server acted would.
func DropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("emulator: response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

// faultDelay waits out an injected delay d, or less when the client hangs
// up (then it returns false).
func faultDelay(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

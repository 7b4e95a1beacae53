// Package testkit holds the fixtures Herald's tests share: a clock the test
// moves by hand, a concurrency-safe log buffer, a bounded wait for a
// condition and a check of a function against a table of cases. It imports
// only the standard library, so that any package's tests can use it; the
// stores to test against are opened by its package teststore.
//
// It is imported by tests only; the product never links it.
package testkit

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Clock is a clock the test moves by hand; safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Buffer collects what is written to it (a logger's output, typically);
// safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Count counts the lines written so far that contain s.
func (b *Buffer) Count(s string) int {
	n := 0
	for line := range strings.Lines(b.String()) {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// WaitFor polls cond until it holds, and fails the test if it does not hold
// within limit. The polling starts every few milliseconds and slows to every
// 50 ms, so a cheap condition is seen at once and a costly one is not
// hammered.
func WaitFor(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	pause := 2 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// Table checks f against cases: f(in) must be the case's value. name is f's
// name in the failure messages.
func Table[In, Out comparable](t testing.TB, name string, f func(In) Out, cases map[In]Out) {
	t.Helper()
	for in, want := range cases {
		if got := f(in); got != want {
			t.Errorf("%s(%#v) = %#v, want %#v", name, in, got, want)
		}
	}
}

// Run runs loop in the background until stop is called or the test ends.
// stop cancels loop's context and waits up to limit for it to return: it
// gives loop's error, or fails the test if loop has not returned by then.
// Later calls give the same result.
func Run(t testing.TB, limit time.Duration, loop func(context.Context) error) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- loop(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(limit):
				err = fmt.Errorf("Run did not return within %s of its context's end", limit)
				t.Error(err)
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

package testkit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps its failures instead of failing.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}

func (r *recorder) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }

// Fatalf records the failure and ends the calling goroutine, as testing's does.
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	c.Advance(90 * time.Second)
	if got := c.Now(); !got.Equal(t0.Add(90 * time.Second)) {
		t.Errorf("after Advance: %v", got)
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Errorf("after Set: %v", got)
	}
}

func TestBufferCountsLines(t *testing.T) {
	var b Buffer
	fmt.Fprintln(&b, `msg="post sent" job=1`)
	fmt.Fprintln(&b, `msg="held"`)
	fmt.Fprintln(&b, `msg="post sent" job=2`)
	if n := b.Count("post sent"); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
	if !strings.HasSuffix(b.String(), "job=2\n") {
		t.Errorf("String = %q", b.String())
	}
}

func TestWaitForFailsWhenTheTimeIsUp(t *testing.T) {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		WaitFor(r, "never", 20*time.Millisecond, func() bool { return false })
	}()
	<-done
	if len(r.failed) != 1 || !strings.Contains(r.failed[0], "waiting for never") {
		t.Errorf("failures %q, want one naming what was awaited", r.failed)
	}
	n := 0
	WaitFor(t, "the third look", time.Minute, func() bool { n++; return n == 3 })
}

func TestTableReportsEachWrongCase(t *testing.T) {
	r := &recorder{TB: t}
	Table(r, "double", func(n int) int { return 2 * n }, map[int]int{1: 2, 2: 5, 3: 7})
	if len(r.failed) != 2 {
		t.Errorf("failures %q, want the two wrong cases", r.failed)
	}
}

func TestRunStopsTheLoop(t *testing.T) {
	errStopped := errors.New("stopped")
	stop := Run(t, time.Minute, func(ctx context.Context) error {
		<-ctx.Done()
		return errStopped
	})
	if err := stop(); err != errStopped {
		t.Errorf("stop = %v, want the loop's error", err)
	}
	if err := stop(); err != errStopped {
		t.Errorf("second stop = %v, want the same", err)
	}

	r := &recorder{TB: t}
	release := make(chan struct{})
	defer close(release)
	stuck := Run(r, 10*time.Millisecond, func(context.Context) error { <-release; return nil })
	if err := stuck(); err == nil || len(r.failed) != 1 {
		t.Errorf("a loop that does not return: stop = %v, failures %q", err, r.failed)
	}
}

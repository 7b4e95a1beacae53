package tick

import (
	"context"
	"testing"
	"time"
)

func TestEveryRunsAtOnceAndUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := 0
	err := Every(ctx, time.Millisecond, func(context.Context) {
		calls++
		if calls == 3 {
			cancel()
		}
	})
	if err != nil {
		t.Fatalf("Every returned %v, want nil", err)
	}
	// A tick ready together with the end of ctx may run fn once more.
	if calls < 3 {
		t.Fatalf("%d calls, want at least 3", calls)
	}
}

func TestEveryCallsOnceWhenAlreadyDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	if err := Every(ctx, time.Hour, func(context.Context) { calls++ }); err != nil || calls != 1 {
		t.Fatalf("Every = %v after %d calls, want nil after 1", err, calls)
	}
}

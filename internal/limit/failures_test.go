package limit

import (
	"strconv"
	"testing"
	"time"
)

func TestFailures(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)
	f := NewFailures(3, func() time.Time { return now })
	for i := range 3 {
		if !f.Allow("a") {
			t.Fatalf("failure %d refused", i)
		}
		f.Add("a")
	}
	if f.Allow("a") || !f.Allow("b") {
		t.Errorf("a allowed %v, b allowed %v", f.Allow("a"), f.Allow("b"))
	}
	if got := f.RetryAfter(); got != 30 {
		t.Errorf("RetryAfter %d, want 30", got)
	}
	now = now.Add(30 * time.Second)
	if !f.Allow("a") {
		t.Error("refused in the next minute")
	}
	// Memory is bounded: past maxClients, new clients share one count.
	for i := range maxClients + 5 {
		f.Add(strconv.Itoa(i))
	}
	if len(f.counts) > maxClients+1 || f.counts["*"] != 5 {
		t.Errorf("%d counts, %d shared", len(f.counts), f.counts["*"])
	}
}

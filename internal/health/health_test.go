package health

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRecorder(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := NewRecorder(func() time.Time { return now })
	if err := r.Err(); err != nil {
		t.Fatalf("new recorder: %v", err)
	}
	r.WriteFailed("dispatch", errors.New("disk I/O error "+strings.Repeat("x", 1000)))
	now = now.Add(59 * time.Second)
	err := r.Err()
	if err == nil || !strings.Contains(err.Error(), "store write failed 59s ago (dispatch): disk I/O error") || len(err.Error()) > 400 {
		t.Errorf("within the window: %v", err)
	}
	now = now.Add(time.Second)
	if err := r.Err(); err != nil {
		t.Errorf("after the window: %v", err)
	}
	var none *Recorder
	none.WriteFailed("webhook", errors.New("x"))
	if none.Err() != nil {
		t.Error("a nil recorder is unhealthy")
	}
}

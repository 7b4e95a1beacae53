package dispatch

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
)

// diskFull fails to record outcomes, as a store on a full disk does.
type diskFull struct{ *sqlite.DB }

func (diskFull) FinishJob(context.Context, int64, string, herald.Outcome, time.Time) error {
	return errors.New("database or disk is full")
}

// TestWriteFailedReported: an outcome the store failed to record is told to
// Options.WriteFailed, which readiness reads.
func TestWriteFailedReported(t *testing.T) {
	fx, _, accts, _ := oneXJob(t)
	var (
		mu       sync.Mutex
		reported []string
	)
	d, err := New(diskFull{fx.store}, accts, Options{Owner: "test", Now: fx.clock.Now,
		WriteFailed: func(what string, err error) {
			mu.Lock()
			defer mu.Unlock()
			reported = append(reported, what+": "+err.Error())
		}}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	fx.runOnce(d)
	mu.Lock()
	defer mu.Unlock()
	if len(reported) == 0 || !strings.Contains(reported[0], "dispatch: database or disk is full") {
		t.Errorf("reported %q", reported)
	}
}

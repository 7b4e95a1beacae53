// Package health remembers the failures that make the daemon unfit for
// work although the store still answers reads: a store write that failed
// (a full disk, a read-only file system, a lost primary) within the last
// minute. The parts that write report to one Recorder; /readyz reads it.
package health

import (
	"fmt"
	"sync"
	"time"
)

// Window is how long a failed write keeps the daemon unready.
const Window = time.Minute

// maxDetail bounds the error text kept.
const maxDetail = 300

// Recorder keeps the last failed store write. The zero value is not usable:
// call NewRecorder. A nil *Recorder records nothing and is always healthy.
type Recorder struct {
	now func() time.Time

	mu   sync.Mutex
	at   time.Time
	what string
	err  string
}

// NewRecorder returns a Recorder on clock now (nil: time.Now).
func NewRecorder(now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{now: now}
}

// WriteFailed records that a store write by what ("webhook", "dispatch")
// failed with err.
func (r *Recorder) WriteFailed(what string, err error) {
	if r == nil || err == nil {
		return
	}
	msg := err.Error()
	if len(msg) > maxDetail {
		msg = msg[:maxDetail] + "…"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.at, r.what, r.err = r.now(), what, msg
}

// Err returns the last failed write when it happened within Window, or nil.
func (r *Recorder) Err() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.at.IsZero() {
		return nil
	}
	ago := r.now().Sub(r.at)
	if ago >= Window {
		return nil
	}
	return fmt.Errorf("store write failed %s ago (%s): %s", ago.Round(time.Second), r.what, r.err)
}

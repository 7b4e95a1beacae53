package herald

import (
	"context"
	"time"
)

// ClickRecorder is the part of a store that counts a short-link click once per client
// network and UTC day, so one reader (or one script) clicking again and
// again does not climb the rankings.
type ClickRecorder interface {
	// RecordClickOnce finds the job of code and counts a click at at unless
	// one from network (the client's /24 or /64, as text) was already counted
	// for it on at's UTC day. It returns the job (with its clicks after the
	// call) and whether this click was counted; an unknown code is
	// ErrNotFound.
	RecordClickOnce(ctx context.Context, code, network string, at time.Time) (Job, bool, error)
}

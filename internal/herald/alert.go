package herald

import (
	"context"
	"time"
)

// Alert is a cause of alert open now: an account paused, a post failed for
// good, ... (see internal/notify). Raised says the alert was sent.
type Alert struct {
	Cause   string // "account_paused:x_main": the kind and what it is about
	Message string
	Since   time.Time // when the cause was first seen
	Raised  bool
}

// AlertStore keeps the open alerts, so that each is sent once per cause
// and its recovery once, across restarts and by one of several instances.
type AlertStore interface {
	// OpenAlert records cause as open since now with message, unless it is
	// open already (then nothing changes).
	OpenAlert(ctx context.Context, cause, message string, now time.Time) error
	// RaiseAlert marks an open alert raised if it is not yet and has been
	// open since openBefore or earlier; true for the one caller that did.
	RaiseAlert(ctx context.Context, cause string, openBefore time.Time) (bool, error)
	// CloseAlert removes an open alert; raised is true for the one caller
	// that removed a raised alert (it sends the recovery).
	CloseAlert(ctx context.Context, cause string) (raised bool, err error)
	// ListAlerts returns the open alerts, by cause.
	ListAlerts(ctx context.Context) ([]Alert, error)
}

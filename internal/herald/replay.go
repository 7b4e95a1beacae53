package herald

import (
	"context"
	"time"
)

// ReplayGuard is the part of a store that remembers the signatures of accepted webhook
// requests until their window ends, so that a signed request is accepted
// once, by whichever instance sharing the database receives it first.
type ReplayGuard interface {
	// RememberSignature records sig until until and reports whether it is
	// new; false means it is remembered already (a replay). Signatures whose
	// until is before now are forgotten first.
	RememberSignature(ctx context.Context, sig string, until, now time.Time) (bool, error)
	// ForgetSignature forgets sig, for a request that could not be recorded
	// and may be sent again.
	ForgetSignature(ctx context.Context, sig string) error
}

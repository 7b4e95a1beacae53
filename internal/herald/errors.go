package herald

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind classifies a failure once, where it happens, so every caller can
// decide what to do with errors.As / KindOf.
type ErrorKind string

// Error kinds.
const (
	// ErrRetryable: network error or 5xx; the request certainly did not take effect
	// or is safe to retry.
	ErrRetryable ErrorKind = "retryable"
	// ErrUnknownOutcome: the request was sent but no answer came back (timeout,
	// connection lost): the post may exist; reconcile before sending again.
	ErrUnknownOutcome ErrorKind = "unknown_outcome"
	// ErrRateLimited: the API said slow down; Error.RetryAt says until when.
	ErrRateLimited ErrorKind = "rate_limited"
	// ErrDuplicate: the network refused the post as a duplicate.
	ErrDuplicate ErrorKind = "duplicate"
	// ErrAuth: token expired, revoked or lacking permission: pause the account.
	ErrAuth ErrorKind = "auth"
	// ErrPermanent: the request itself is wrong (text too long, bad parameter).
	ErrPermanent ErrorKind = "permanent"
	// ErrBudget: the account's monthly budget would be exceeded.
	ErrBudget ErrorKind = "budget"
)

// Error is a classified failure of a network or API call. Message is the
// API's own words for the operator; it never contains a token.
type Error struct {
	Kind    ErrorKind
	Network Network
	Op      string // "create post", "read engagement", ...
	Status  int    // HTTP status, 0 when none
	Code    int    // the API's error code (X v1.1 code, Graph code), 0 when none
	Message string
	// RetryAt is when a rate-limited (or temporarily blocked) call may be made again.
	RetryAt time.Time
	Err     error // the underlying error, if any
}

func (e *Error) Error() string {
	s := string(e.Network)
	if e.Op != "" {
		s += ": " + e.Op
	}
	s += ": " + string(e.Kind)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Code != 0 {
			s += fmt.Sprintf(", code %d", e.Code)
		}
		s += ")"
	} else if e.Code != 0 {
		s += fmt.Sprintf(" (code %d)", e.Code)
	}
	if e.Message != "" {
		s += ": " + e.Message
	} else if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a classified error, ErrRetryable for any other
// non-nil error, and "" for nil.
func KindOf(err error) ErrorKind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ErrRetryable
}

// Store errors.
var (
	// ErrNotFound: no such row.
	ErrNotFound = errors.New("not found")
	// ErrLeaseLost: the job or source is no longer claimed by this owner.
	ErrLeaseLost = errors.New("lease lost")
	// ErrConflict: the change would break a uniqueness rule (a second automatic
	// post of one article to one account, a duplicate name).
	ErrConflict = errors.New("conflict")
)

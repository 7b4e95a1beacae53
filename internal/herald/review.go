package herald

import (
	"context"
	"strings"
	"time"
)

// Instructions are what a newsroom's CMS asks for one story's automatic
// posts, in the webhook payload.
type Instructions struct {
	// Text is the post's text for every network (""), or per network
	// ("twitter", ...): it replaces the account's template; the link is
	// added as for any text given by hand.
	Text map[string]string
	// Hashtags are added at the end of the story's own text.
	Hashtags []string
	// NoPost records the story without posting it (SkipNoPost).
	NoPost bool
	// PostAt delays the posts until then (zero: now).
	PostAt time.Time
	// Review holds the posts for an editor's review.
	Review bool
}

// PostText is the story's own text for an account of network, with its
// hashtags ("" when the story gives no text).
func (in Instructions) PostText(network Network) string {
	text, ok := in.Text[string(network)]
	if !ok || strings.TrimSpace(text) == "" {
		text = in.Text[""]
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	for _, h := range in.Hashtags {
		if h = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(h), "#")); h != "" {
			text += " #" + h
		}
	}
	return text
}

// ReviewStore keeps the posts held for review (JobHeld). Approving or
// rejecting is a conditional update of a held job: of two instances or
// editors acting on one job, one wins and the other gets ErrConflict.
type ReviewStore interface {
	// ApproveJob makes a held job pending, with text as its own text when
	// not empty; its priority and due time are kept, so it goes out in its
	// place. ErrConflict when the job is not held.
	ApproveJob(ctx context.Context, id int64, text string, now time.Time) error
	// ApproveHeld approves every held job (with text, when not empty) and
	// returns how many.
	ApproveHeld(ctx context.Context, text string, now time.Time) (int, error)
	// RejectJob records a held job skipped with SkipRejected; ErrConflict
	// when the job is not held.
	RejectJob(ctx context.Context, id int64, now time.Time) error
	// ReleaseHeld ends the review of the jobs held since before or
	// earlier: pending (drop false) or skipped with SkipReviewTimeout
	// (drop true). It returns how many.
	ReleaseHeld(ctx context.Context, before time.Time, drop bool, now time.Time) (int, error)
}

package herald

import (
	"context"
	"time"
)

// Message is one post as composed for one network.
type Message struct {
	Text string // the full text (X, Mastodon, Bluesky) or message (Facebook)
	Link string // the (tagged) URL: Facebook's link, Bluesky's card
	// For link cards (Bluesky) and logging.
	Title       string
	Description string
	ImageURL    string
	// IdempotencyKey is stable per job (article+account+seq) for networks that
	// honour one (Mastodon).
	IdempotencyKey string
	// ReplyTo is the RemoteID of one of the account's posts this one answers,
	// making a thread (X, Mastodon, Bluesky); "" for a post of its own.
	// Facebook has no threads: its publisher refuses a reply.
	ReplyTo string
}

// RateLimit is what the API said about the remaining allowance.
type RateLimit struct {
	Limit     int
	Remaining int
	Reset     time.Time
}

// Receipt is the network's confirmation of a post.
type Receipt struct {
	RemoteID  string
	Permalink string
	At        time.Time
	// Limits seen on the answer, if the API sent any: the dispatcher pauses an
	// account whose allowance is exhausted before it is told so by a 429.
	Limits []RateLimit
}

// Identity is who an account's credentials authenticate as.
type Identity struct {
	ID       string
	Name     string // @handle or Page name
	Expires  time.Time
	Warnings []string
}

// Publisher posts to one account of one network. Implementations classify
// every failure as an *Error and never put a secret in it.
type Publisher interface {
	// Network names the network.
	Network() Network
	// Publish sends one post. On failure it returns an *Error; ErrUnknownOutcome
	// means the post may have been made.
	Publish(ctx context.Context, m Message) (Receipt, error)
	// FindPost looks among the account's posts made at or after since for one
	// carrying link (reconciliation after an unknown outcome). It returns
	// found=false when there is none, and reads = the number of posts read
	// (billable on X).
	FindPost(ctx context.Context, link string, since time.Time) (r Receipt, found bool, reads int, err error)
	// Engagement reads the public counters of the given posts, batching as the
	// API allows. Posts the network no longer has are listed in gone.
	Engagement(ctx context.Context, remoteIDs []string) (counts map[string]Engagement, gone []string, err error)
	// Delete removes a post. Deleting a post that is already gone is not an error.
	Delete(ctx context.Context, remoteID string) error
	// Check calls the identity endpoint (X /2/users/me, Graph /me).
	Check(ctx context.Context) (Identity, error)
}

// TokenStore persists rotating OAuth 2.0 tokens for a publisher (implemented
// by Store's SaveToken/LoadToken).
type TokenStore interface {
	LoadToken(ctx context.Context, account string) (Token, error)
	SaveToken(ctx context.Context, account string, t Token) error
}

package herald

import "time"

// Account is the state Herald keeps about a configured account (the account's
// settings and secrets live in the configuration, never in the store, except
// rotating OAuth 2.0 tokens).
type Account struct {
	ID          string
	Network     Network
	Paused      bool
	PauseReason string    // e.g. the auth error that paused it
	HoldUntil   time.Time // rate-limit pause or spacing: no sends before this
	HoldReason  string
	LastSentAt  time.Time
	// TokenExpiresAt is a Facebook token's expiry from debug_token (zero: never / unknown).
	TokenExpiresAt time.Time
	// Filled by ListAccounts:
	SentToday   int
	MonthSpend  Money // billable calls this calendar month (UTC)
	PendingJobs int
}

// Token is an OAuth 2.0 token pair; refresh tokens rotate on every refresh, so
// the new pair is saved at once.
type Token struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time
}

// Money is an amount in millionths of a US dollar.
type Money int64

// Dollars returns the amount in dollars.
func (m Money) Dollars() float64 { return float64(m) / 1e6 }

// Billable call kinds for the cost ledger.
const (
	CostPostWithLink = "post_with_link"
	CostPost         = "post"
	CostRead         = "read"
)

// Charge is one billable call (or batch) recorded in the per-account ledger.
type Charge struct {
	Account string
	Kind    string // CostPostWithLink, CostPost, CostRead
	// RemoteID identifies the post read: a read of the same post on the same
	// UTC day is recorded once (the network bills it once).
	RemoteID string
	Amount   Money
	At       time.Time
}

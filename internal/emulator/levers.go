package emulator

import "github.com/heraldhq/herald/internal/emulator/internal/seal"

// Levers are an emulation's test-only controls: fault injection and forced
// token expiry. They are not part of what the product (the sandbox) uses:
// tests reach them through package emulatortest, the only one outside this
// package that can call Levers.
type Levers struct {
	Faults *Faults
	// Expire ends a credential early: an X user's every credential, a Graph
	// page's token, a Mastodon token, a Bluesky DID's sessions.
	Expire func(id string)
	// ExpireAccess ends access tokens before their lifetime (refresh tokens
	// keep working): an X user's OAuth 2.0 tokens, every Bluesky session's.
	ExpireAccess func(id string)
}

// Levers returns the test-only controls; see package emulatortest.
func (x *X) Levers(seal.Key) Levers {
	return Levers{Faults: x.faults, Expire: x.expireUser, ExpireAccess: x.expireAccessTokens}
}

// Levers returns the test-only controls; see package emulatortest.
func (g *Graph) Levers(seal.Key) Levers { return Levers{Faults: g.faults, Expire: g.expirePage} }

// Levers returns the test-only controls; see package emulatortest.
func (m *Mastodon) Levers(seal.Key) Levers { return Levers{Faults: m.faults, Expire: m.revokeToken} }

// Levers returns the test-only controls; see package emulatortest.
func (b *Bluesky) Levers(seal.Key) Levers {
	return Levers{Faults: b.faults, Expire: b.revokeSessions, ExpireAccess: func(string) { b.expireAccessTokens() }}
}

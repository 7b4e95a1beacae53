// Package emulatortest holds the emulations' test-only controls (fault
// injection, forced token expiry), kept out of package emulator's API,
// which the product's sandbox uses.
package emulatortest

import (
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/internal/seal"
)

// Emulation is any of the four emulations.
type Emulation interface {
	Levers(seal.Key) emulator.Levers
}

// Faults returns the faults injected into e's write requests.
func Faults(e Emulation) *emulator.Faults { return e.Levers(seal.Key{}).Faults }

// ExpireUser revokes every credential of an X user at once, as when the
// owner revokes the app. AddUser restores the user.
func ExpireUser(x *emulator.X, id string) { x.Levers(seal.Key{}).Expire(id) }

// ExpireAccessTokens ends the OAuth 2.0 access tokens issued to an X user
// before their lifetime is over; refresh tokens keep working.
func ExpireAccessTokens(x *emulator.X, id string) { x.Levers(seal.Key{}).ExpireAccess(id) }

// ExpirePage makes a Graph page's token expired from now on (code 190,
// subcode 463).
func ExpirePage(g *emulator.Graph, id string) { g.Levers(seal.Key{}).Expire(id) }

// RevokeToken makes a Mastodon account's token invalid, as revoking the app
// does.
func RevokeToken(m *emulator.Mastodon, token string) { m.Levers(seal.Key{}).Expire(token) }

// ExpireSessions makes every Bluesky access token issued so far expired, as
// time passing would; refresh tokens stay good.
func ExpireSessions(b *emulator.Bluesky) { b.Levers(seal.Key{}).ExpireAccess("") }

// RevokeSessions forgets every Bluesky token of did, as changing the app
// password does.
func RevokeSessions(b *emulator.Bluesky, did string) { b.Levers(seal.Key{}).Expire(did) }

package app

import (
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/netguard"
	"github.com/heraldhq/herald/internal/secrets"
)

// Sealer is what seals the credentials Herald stores (nil without a key:
// stored in plaintext). A bad key is a configuration error.
func Sealer(cfg *config.Config) (*secrets.Sealer, error) {
	key, err := cfg.SecretKey()
	if err != nil {
		return nil, configErrorf("%w", err)
	}
	if key == nil {
		return nil, nil
	}
	return secrets.NewSealer(key)
}

// OutboundGuard is the outbound policy for destinations that come from
// content (feed redirects, item images, WebSub hubs): public addresses only,
// unless feed.allow_private_networks or the sandbox (whose feeds, hubs and
// images are on loopback) allows internal networks.
func OutboundGuard(cfg *config.Config) netguard.Guard {
	return netguard.Guard{AllowPrivate: cfg.Feed.AllowPrivateNetworks || cfg.Sandbox}
}

package cli

import (
	"context"
	"net/http"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

func (c *connector) mastodon(ctx context.Context) (herald.Credentials, error) {
	return herald.Credentials{}, usageErrorf("mastodon: not yet")
}

func (c *connector) bluesky(ctx context.Context) (herald.Credentials, error) {
	return herald.Credentials{}, usageErrorf("bluesky: not yet")
}

func (c *connector) facebook(ctx context.Context) (herald.Credentials, error) {
	return herald.Credentials{}, usageErrorf("facebook: not yet")
}

func revokeMastodon(ctx context.Context, acct config.Account, cr herald.Credentials, client *http.Client) (bool, error) {
	return false, nil
}

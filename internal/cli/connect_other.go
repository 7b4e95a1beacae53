package cli

import (
	"context"
	"github.com/heraldhq/herald/internal/herald"
)

func (c *connector) facebook(ctx context.Context) (herald.Credentials, error) {
	return herald.Credentials{}, usageErrorf("facebook: not yet")
}

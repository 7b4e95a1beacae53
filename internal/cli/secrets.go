package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/secrets"
)

// sealer is what seals the credentials Herald stores; see app.Sealer.
func sealer(cfg *config.Config) (*secrets.Sealer, error) {
	s, err := app.Sealer(cfg)
	return s, fromApp(err)
}

// sealStoredSecrets runs at the daemon's start: with a key, it encrypts the
// credentials stored in plaintext before the key was set; without one, it
// warns (once) that they are stored in plaintext.
func sealStoredSecrets(ctx context.Context, cfg *config.Config, st herald.Store, logger *slog.Logger) error {
	s, err := sealer(cfg)
	if err != nil {
		return err
	}
	if s == nil {
		logger.Warn("stored tokens and WebSub secrets are kept in plaintext in the database; set " +
			config.SecretKeyEnv + " (or secrets.key_file) to encrypt them")
		return nil
	}
	n, err := secrets.SealAll(ctx, st, s, time.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		logger.Info("stored secrets encrypted with the configured key", "count", n)
	}
	return nil
}

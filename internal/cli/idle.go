package cli

import (
	"log/slog"

	"github.com/heraldhq/herald/internal/config"
)

// warnIdle says loudly, at start, when the daemon has nothing to do: no
// sources (nothing is polled; only webhooks bring stories) or no accounts
// (nothing is posted). Run from the wrong directory or with the wrong
// --config, that is the first sign.
func warnIdle(cfg *config.Config, log *slog.Logger) {
	file := cfg.File
	if file == "" {
		file = "(none)"
	}
	if len(cfg.Sources) == 0 {
		log.Warn("NO SOURCES: no feed is polled; only webhooks and pushes bring stories (sources: in the configuration)",
			"config", file)
	}
	if len(cfg.Accounts) == 0 {
		log.Warn("NO ACCOUNTS: nothing will be posted (accounts: in the configuration)", "config", file)
	}
}

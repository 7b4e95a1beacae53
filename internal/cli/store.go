package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/sqlite"
)

// OpenStore opens the database named by database.url, applies the schema
// migrations it lacks, and records the configured sources and accounts, so
// that every command sees them. The caller closes the store.
func (a *App) OpenStore(ctx context.Context) (herald.Store, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg.Database.URL)
	if err != nil {
		return nil, err
	}
	if err := syncConfig(ctx, st, cfg); err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return st, nil
}

// openStore opens and migrates the store a database URL names.
func openStore(ctx context.Context, url string) (herald.Store, error) {
	var st herald.Store
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		db, err := sqlite.Open(ctx, strings.TrimPrefix(url, "sqlite:"))
		if err != nil {
			return nil, err
		}
		st = db
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err := postgres.Open(ctx, url)
		if err != nil {
			return nil, err
		}
		st = db
	default:
		return nil, usageErrorf("database.url: must start with sqlite: or postgres://")
	}
	if err := st.Migrate(ctx); err != nil {
		return nil, errors.Join(err, st.Close())
	}
	return st, nil
}

// syncConfig records the configured sources and accounts in the store.
func syncConfig(ctx context.Context, st herald.Store, cfg *config.Config) error {
	specs := make([]herald.SourceSpec, 0, len(cfg.Sources))
	for _, s := range cfg.Sources {
		specs = append(specs, herald.SourceSpec{Name: s.Name, URL: s.URL})
	}
	if err := st.SyncSources(ctx, specs); err != nil {
		return fmt.Errorf("sync sources: %w", err)
	}
	accounts := make([]herald.Account, 0, len(cfg.Accounts))
	for _, id := range slices.Sorted(maps.Keys(cfg.Accounts)) {
		accounts = append(accounts, herald.Account{ID: id, Network: herald.Network(cfg.Accounts[id].Network)})
	}
	if err := st.SyncAccounts(ctx, accounts); err != nil {
		return fmt.Errorf("sync accounts: %w", err)
	}
	return nil
}

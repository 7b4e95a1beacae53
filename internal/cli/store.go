package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/secrets"
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
	seal, err := sealer(cfg)
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
	a.using = &using{Config: cfg.File, Database: herald.RedactURL(cfg.Database.URL)}
	// Credentials Herald stores are sealed on the way in and opened on the
	// way out when a key is set; everything else passes through.
	return secrets.Wrap(st, seal), nil
}

// withStore opens the store (OpenStore), hands it to do, and closes it.
func (a *App) withStore(ctx context.Context, do func(herald.Store) error) error {
	return runWithStore(ctx, a.OpenStore, do)
}

// readStore is withStore for a command that only reads (OpenStoreToRead).
func (a *App) readStore(ctx context.Context, do func(herald.Store) error) error {
	return runWithStore(ctx, a.OpenStoreToRead, do)
}

func runWithStore(ctx context.Context, open func(context.Context) (herald.Store, error), do func(herald.Store) error) error {
	st, err := open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return do(st)
}

// errNoDatabase: the SQLite database of the configuration does not exist.
var errNoDatabase = errors.New("no database")

// OpenStoreToRead is OpenStore for a command that only reads: it never
// creates a database (a SQLite file that does not exist is an error naming
// it, as when the command runs with another configuration or from another
// directory than the daemon), and on a terminal it first says which
// configuration and database it reads, on standard error.
func (a *App) OpenStoreToRead(ctx context.Context) (herald.Store, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	if path, ok := sqlitePath(cfg.Database.URL); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s (configuration: %s): herald run or herald migrate creates it",
				errNoDatabase, path, configName(cfg))
		}
	}
	if a.Interactive() {
		fmt.Fprintf(a.Err(), "Using %s, database %s\n", configName(cfg), herald.RedactURL(cfg.Database.URL))
	}
	return a.OpenStore(ctx)
}

// configName names the configuration file read, or says there was none.
func configName(cfg *config.Config) string {
	if cfg.File == "" {
		return "none, defaults and environment; --config names one"
	}
	return cfg.File
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
	return syncAccounts(ctx, st, cfg)
}

package sqlite

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald/internal/sqlstore"
)

// checkNotNewer refuses a database that applied a migration unknown to this
// binary (files are the binary's migrations, in version order).
func (db *DB) checkNotNewer(ctx context.Context, files []sqlstore.Migration) error {
	var v int
	if err := db.w.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if err := sqlstore.CheckNotNewer(v, files); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

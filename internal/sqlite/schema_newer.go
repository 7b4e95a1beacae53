package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/heraldhq/herald/internal/herald"
)

// checkNotNewer refuses a database that applied a migration unknown to this
// binary (files are the binary's migrations, in version order).
func (db *DB) checkNotNewer(ctx context.Context, files []migration) error {
	var v sql.NullInt64
	if err := db.w.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	known := 0
	if len(files) > 0 {
		known = files[len(files)-1].version
	}
	if err := herald.CheckSchema(int(v.Int64), known); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

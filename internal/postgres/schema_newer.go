package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
)

// checkNotNewer refuses a database that applied a migration unknown to this
// binary (files are the binary's migrations, in version order).
func checkNotNewer(ctx context.Context, conn *pgx.Conn, files []migration) error {
	var v *int
	if err := conn.QueryRow(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	known := 0
	if len(files) > 0 {
		known = files[len(files)-1].version
	}
	if v != nil {
		if err := herald.CheckSchema(*v, known); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
	}
	return nil
}

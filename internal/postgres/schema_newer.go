package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/sqlstore"
)

// checkNotNewer refuses a database that applied a migration unknown to this
// binary (files are the binary's migrations, in version order).
func checkNotNewer(ctx context.Context, conn *pgx.Conn, files []sqlstore.Migration) error {
	var v int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := sqlstore.CheckNotNewer(v, files); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

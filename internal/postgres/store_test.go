package postgres_test

import (
	"context"
	"testing"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/postgres/pgtest"
	"github.com/heraldhq/herald/internal/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) herald.Store { return openTest(t, newSchema(t)) })
}

func serverURL(t testing.TB) string { return pgtest.ServerURL(t) }

// newSchema returns the URL of a schema of its own for the test (created by
// Migrate on first use), dropped when the test ends.
func newSchema(t testing.TB) string { return pgtest.Schema(t, "herald_test_") }

// openTest opens and migrates the database at dsn, closed when the test
// ends (before its schema is dropped).
func openTest(t testing.TB, dsn string) *postgres.DB {
	return storetest.Open(t, func(ctx context.Context) (*postgres.DB, error) { return postgres.Open(ctx, dsn) })
}

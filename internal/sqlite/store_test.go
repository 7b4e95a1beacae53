package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) herald.Store { return openTest(t) })
}

// openTest opens a migrated database in a temporary directory.
func openTest(t testing.TB) *sqlite.DB {
	path := filepath.Join(t.TempDir(), "herald.db")
	return storetest.Open(t, func(ctx context.Context) (*sqlite.DB, error) { return sqlite.Open(ctx, path) })
}

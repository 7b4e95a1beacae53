package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) herald.Store {
		return openTest(t)
	})
}

// openTest opens a migrated database in a temporary directory.
func openTest(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

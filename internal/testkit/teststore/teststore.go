// Package teststore opens the stores Herald's tests run against: a migrated
// SQLite database in the test's temporary directory, closed when the test
// ends. It is imported by tests only.
package teststore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald/internal/sqlite"
)

// SQLite opens a migrated SQLite store in a temporary directory; it is
// closed when the test ends.
func SQLite(t testing.TB) *sqlite.DB {
	t.Helper()
	return SQLiteAt(t, filepath.Join(t.TempDir(), "herald.db"))
}

// SQLiteAt opens and migrates the SQLite store at path; it is closed when
// the test ends.
func SQLiteAt(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

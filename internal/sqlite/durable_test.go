package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// TestWritesSurvivePowerLoss: the commit that marks a job sending must be on
// disk before the post goes out, or an OS crash undoes it and the job is
// sent again without reconciliation. WAL with synchronous=NORMAL does not
// sync at commit; FULL does (once per group of writes).
func TestWritesSurvivePowerLoss(t *testing.T) {
	ctx := context.Background()
	db := openUnmigrated(t)
	var mode int
	if err := db.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != 2 {
		t.Errorf("write connection: synchronous = %d, want 2 (FULL)", mode)
	}
}

// openUnmigrated opens a store in a temporary directory, not migrated; it is
// closed when the test ends.
func openUnmigrated(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

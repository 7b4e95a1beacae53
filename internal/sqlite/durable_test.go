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
	db, err := Open(ctx, filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode int
	if err := db.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != 2 {
		t.Errorf("write connection: synchronous = %d, want 2 (FULL)", mode)
	}
}

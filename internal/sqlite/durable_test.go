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

// TestAsyncWritesSkipOnlyTheirOwnSync: a write that may be lost in a crash
// (a claim, an outcome) commits with synchronous=NORMAL; any other write, and
// a batch that holds one, commits with FULL, which syncs the WAL written
// before it too.
func TestAsyncWritesSkipOnlyTheirOwnSync(t *testing.T) {
	ctx := context.Background()
	db := openUnmigrated(t)
	level := func() int {
		t.Helper()
		var mode int
		if err := db.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		return mode
	}
	noop := func(*txn) error { return nil }
	if err := db.writeAsync(ctx, noop); err != nil {
		t.Fatal(err)
	}
	if got := level(); got != 1 {
		t.Errorf("after an async write: synchronous = %d, want 1 (NORMAL)", got)
	}
	if err := db.write(ctx, noop); err != nil {
		t.Fatal(err)
	}
	if got := level(); got != 2 {
		t.Errorf("after a durable write: synchronous = %d, want 2 (FULL)", got)
	}
	// A batch mixing both commits durably.
	if err := db.writeAsync(ctx, noop); err != nil {
		t.Fatal(err)
	}
	db.runBatch([]*writeReq{
		{ctx: ctx, fn: noop, async: true, done: make(chan error, 1)},
		{ctx: ctx, fn: noop, done: make(chan error, 1)},
	})
	if got := level(); got != 2 {
		t.Errorf("after a mixed batch: synchronous = %d, want 2 (FULL)", got)
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

package sqlite

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestWriteCacheShrinksOnceWritesAreQuiet checks that the write
// connection's cache is handed back once writes have been quiet for
// shrinkAfter, not while they go on, and that writing afterwards works.
func TestWriteCacheShrinksOnceWritesAreQuiet(t *testing.T) {
	t.Parallel()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "shrink.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var shrinks atomic.Int32
	db.shrink.mu.Lock()
	db.shrink.shrink = func() { shrinks.Add(1); db.shrinkWriteCache() }
	db.shrink.mu.Unlock()
	ctx := t.Context()
	insert := func(k int) {
		t.Helper()
		if err := db.write(ctx, func(tx *txn) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO t (k) VALUES (?)`, k)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Writes closer together than shrinkAfter, for longer than it: none.
	for i, end := 0, time.Now().Add(shrinkAfter+shrinkAfter/2); time.Now().Before(end); i++ {
		insert(i)
		time.Sleep(shrinkAfter / 10)
	}
	if n := shrinks.Load(); n != 0 {
		t.Fatalf("%d shrinks while writes went on every %s", n, shrinkAfter/10)
	}

	// Quiet: one shrink.
	deadline := time.Now().Add(3 * shrinkAfter)
	for shrinks.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(shrinkAfter / 10)
	}
	time.Sleep(shrinkAfter / 2)
	if n := shrinks.Load(); n != 1 {
		t.Fatalf("%d shrinks once writes were quiet for %s, want 1", n, 3*shrinkAfter)
	}

	// The connection writes and reads as before.
	insert(-1)
	var count int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE k = -1`).Scan(&count); err != nil || count != 1 {
		t.Fatalf("after the shrink: count %d, err %v", count, err)
	}
}

// TestCloseStopsTheShrinker checks that a DB closed while its shrink is
// pending does not shrink afterwards.
func TestCloseStopsTheShrinker(t *testing.T) {
	t.Parallel()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "shrink-close.db"))
	if err != nil {
		t.Fatal(err)
	}
	var shrinks atomic.Int32
	db.shrink.mu.Lock()
	db.shrink.shrink = func() { shrinks.Add(1) }
	db.shrink.mu.Unlock()
	if err := db.write(t.Context(), func(tx *txn) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(shrinkAfter + shrinkAfter/2)
	if n := shrinks.Load(); n != 0 {
		t.Fatalf("%d shrinks after Close", n)
	}
}

package sqlite

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
)

// TestGroupCommit runs many writes at once, so that they share
// transactions, and checks that a failing write is rolled back alone while
// every other write is committed once.
func TestGroupCommit(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "group.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := t.Context()
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE t (k INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	const n = 200
	boom := errors.New("boom")
	// Rounds of n writes at once, until some shared a transaction (on a
	// loaded machine the goroutines may happen to take turns); each round's
	// keys are its own, and every round is checked.
	for round := 0; round < 5 && db.wq.shared.Load() == 0; round++ {
		groupCommitRound(t, db, round*n, n, boom)
	}
	if db.wq.shared.Load() == 0 {
		t.Error("no write shared a transaction in 5 rounds: the test proves nothing")
	}
	if db.wq.busy || len(db.wq.queue) != 0 {
		t.Errorf("writer left busy=%v with %d queued", db.wq.busy, len(db.wq.queue))
	}
}

// groupCommitRound writes keys base..base+n-1 at once, each in its own
// write: those ending in 3 fail, those ending in 7 conflict, and only the
// others' rows may be in the table afterwards.
func groupCommitRound(t *testing.T, db *DB, base, n int, boom error) {
	t.Helper()
	ctx := t.Context()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for j := range n {
		i := base + j
		wg.Go(func() {
			errs[j] = db.write(ctx, func(tx *txn) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (k) VALUES (?)`, i); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return boom // its row must go
				case 7:
					_, err := tx.ExecContext(ctx, `INSERT INTO t (k) VALUES (?)`, i) // a conflict
					return err
				}
				return nil
			})
		})
	}
	wg.Wait()
	want := 0
	for j, err := range errs {
		i := base + j
		switch i % 10 {
		case 3:
			if !errors.Is(err, boom) {
				t.Errorf("write %d: %v, want boom", i, err)
			}
		case 7:
			if !isUnique(err) {
				t.Errorf("write %d: %v, want a uniqueness violation", i, err)
			}
		default:
			want++
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	var got, bad int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE k % 10 IN (3, 7))
		FROM t WHERE k >= ? AND k < ?`, base, base+n).Scan(&got, &bad); err != nil {
		t.Fatal(err)
	}
	if got != want || bad != 0 {
		t.Errorf("%d rows (%d of failed writes), want %d and 0", got, bad, want)
	}
}

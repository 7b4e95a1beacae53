package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestOpenNewFileFromSeveralProcessesAtOnce: a daemon starting and a command
// reading its state may open one new database at the same moment; neither
// may fail with SQLITE_BUSY (switching a new file to WAL does not wait on
// SQLite's busy timeout by itself).
func TestOpenNewFileFromSeveralProcessesAtOnce(t *testing.T) {
	ctx := context.Background()
	for round := range 20 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("herald-%d.db", round))
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for i := range 6 {
			wg.Go(func() {
				db, err := Open(ctx, path)
				if err != nil {
					errs <- err
					return
				}
				if i%2 == 0 { // as the daemon does, while the others open
					err = db.Migrate(ctx)
				}
				errs <- errors.Join(err, db.Close())
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}

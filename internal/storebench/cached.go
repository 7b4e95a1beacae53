package storebench

import (
	"context"
	"os"

	"github.com/heraldhq/herald/internal/sqlite"
)

// CachedSQLite leaves d's data set in the SQLite database at path, so that
// a large one is generated once and reused: unless an earlier call finished
// it (path.done exists), it removes whatever is at path, migrates a new
// database there, fills it and marks it done. It reports whether it
// generated the data set.
func CachedSQLite(ctx context.Context, path string, d Data) (bool, error) {
	if _, err := os.Stat(path + ".done"); err == nil {
		return false, nil
	}
	for _, s := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(path + s)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return false, err
	}
	err = db.Migrate(ctx)
	if err == nil {
		err = SQLite(ctx, path, d)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, err
	}
	return true, os.WriteFile(path+".done", nil, 0o600)
}

package sqlite

import (
	"context"
	"fmt"
)

// The write connection's page cache grows with the database.
//
// A save inserts into indexes whose keys land anywhere (an article's URL,
// its publication time), so each touches a path from an index's root to a
// leaf. Once the database outgrows the cache, those paths no longer stay in
// it: every insert reads its pages again from the WAL or the file, and a
// transaction whose dirty pages overflow the cache writes some of them to
// the WAL twice. The first poll cycle over 10,000 feeds × 50 items (a
// 500,000-article database) took 37.6 and 38.2 s with a fixed 256 KiB
// cache, against 27.6–31.9 s with 4 MiB and 26.7–33.0 s with 8 MiB, in
// alternating runs of `herald-bench --scenario poll`; peak RSS rose from
// 44 MB to 51 and 60 MB. With the growing cache below, 29.7–32.1 s against
// 36.4–38.2 s for the fixed 256 KiB.
//
// A small database keeps the small cache: the write connection's cache
// survives its commits, so it fills up to its bound and stays full, and
// modernc's allocator keeps the pages it mapped for it. An idle daemon over
// a few thousand articles holds 3.0 MiB of SQLite memory with 256 KiB
// against 5.0 MiB with 1 MiB (herald-bench --scenario idle).
const (
	writeCacheKiB    = 256  // the least, and the cache a new database starts with
	maxWriteCacheKiB = 8192 // the most
	cacheShare       = 32   // the cache is 1/cacheShare of the database file
	fitEvery         = 64   // write batches between two fits of the cache
)

// qDatabaseSize is the size of the database file, in bytes.
const qDatabaseSize = `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`

// writeCacheFor is the write connection's cache, in KiB, for a database
// file of size bytes.
func writeCacheFor(size int64) int {
	return int(min(max(size/1024/cacheShare, writeCacheKiB), maxWriteCacheKiB))
}

// fitWriteCache sets the write connection's cache for the database's size;
// tx is a transaction on it. The first batch after Open fits it, then every
// fitEvery-th: the database grows by no more than fitEvery batches between
// two fits.
func (db *DB) fitWriteCache(ctx context.Context, tx *txn) error {
	w := &db.wq
	w.batches++
	if w.batches%fitEvery != 1 {
		return nil
	}
	var size int64
	if err := tx.Tx.QueryRowContext(ctx, qDatabaseSize).Scan(&size); err != nil {
		return fmt.Errorf("sqlite: database size: %w", err)
	}
	// Set even when unchanged: the connection may have been opened anew.
	if _, err := tx.Tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", writeCacheFor(size))); err != nil {
		return fmt.Errorf("sqlite: cache size: %w", err)
	}
	return nil
}

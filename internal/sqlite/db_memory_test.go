package sqlite

import (
	"testing"
)

// TestCacheSizes checks that each connection's page cache is bounded as
// db.go says: the write connection's and every read connection's.
func TestCacheSizes(t *testing.T) {
	ctx := t.Context()
	db := openUnmigrated(t)
	var got int
	if err := db.w.DB.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != -writeCacheKiB {
		t.Errorf("write connection: cache_size %d, want %d", got, -writeCacheKiB)
	}
	// Hold every read connection at once, so each is asked.
	n := db.r.Stats().MaxOpenConnections
	for i := range n {
		c, err := db.r.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != -readCacheKiB {
			t.Errorf("read connection %d: cache_size %d, want %d", i, got, -readCacheKiB)
		}
	}
}

// TestWriteCacheGrowsWithTheDatabase checks cache.go's rule: the write
// connection's cache is 1/cacheShare of the database, within its bounds,
// fitted by the first write batch after Open and then every fitEvery-th.
func TestWriteCacheGrowsWithTheDatabase(t *testing.T) {
	for _, c := range []struct {
		size int64
		want int
	}{{0, writeCacheKiB}, {8 << 20, writeCacheKiB}, {16 << 20, 512}, {100 << 20, 3200}, {1 << 40, maxWriteCacheKiB}} {
		if got := writeCacheFor(c.size); got != c.want {
			t.Errorf("writeCacheFor(%d) = %d KiB, want %d", c.size, got, c.want)
		}
	}

	ctx := t.Context()
	db := openUnmigrated(t)
	cacheSize := func() int {
		t.Helper()
		var kib int
		if err := db.w.DB.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&kib); err != nil {
			t.Fatal(err)
		}
		return -kib
	}
	write := func(q string) {
		t.Helper()
		if err := db.write(ctx, func(tx *txn) error { _, err := tx.ExecContext(ctx, q); return err }); err != nil {
			t.Fatal(err)
		}
	}
	write(`CREATE TABLE pad (b BLOB)`)
	if got := cacheSize(); got != writeCacheKiB {
		t.Fatalf("empty database: cache %d KiB, want %d", got, writeCacheKiB)
	}
	// 24 MiB of rows: the cache follows at the next fit, not before.
	write(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 24)
		INSERT INTO pad SELECT zeroblob(1 << 20) FROM n`)
	if got := cacheSize(); got != writeCacheKiB {
		t.Fatalf("before the next fit: cache %d KiB, want %d", got, writeCacheKiB)
	}
	for db.wq.batches%fitEvery != 0 {
		write(`DELETE FROM pad WHERE 0`)
	}
	write(`DELETE FROM pad WHERE 0`)
	var size int64
	if err := db.w.DB.QueryRowContext(ctx, qDatabaseSize).Scan(&size); err != nil {
		t.Fatal(err)
	}
	if got, want := cacheSize(), int(size/1024/cacheShare); got != want || got <= writeCacheKiB {
		t.Errorf("%d MiB database: cache %d KiB, want %d", size>>20, got, want)
	}
}

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

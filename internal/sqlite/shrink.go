package sqlite

import (
	"context"
	"sync"
	"time"
)

// The write connection's page cache fills up to its bound (writeCacheKiB,
// twice that in resident memory) with the pages its writes touched, and
// keeps them for as long as the connection lives. Once writes have been
// quiet for shrinkAfter, the cache is handed back (PRAGMA shrink_memory);
// the next write reads its few pages again from the operating system's
// cache. A burst of writes (a first poll, a stream of webhooks) keeps its
// cache: the clock restarts with every batch.
//
// Kept for the idle figure of the README (`herald-bench --scenario idle`):
// SQLite held 5.0 MiB of an idle daemon's memory with the cache kept, 3.0
// MiB with a cache bound of a quarter; RSS max 33 MB against 30 MB.

// shrinkAfter is how long writes must have been quiet before the write
// connection's cache is handed back.
const shrinkAfter = 2 * time.Second

// shrinker hands the write connection's cache back once writes are quiet.
type shrinker struct {
	mu     sync.Mutex
	timer  *time.Timer
	closed bool
	shrink func() // the work; a test may count it
}

// quiet (re)starts the wait: called whenever the write queue empties.
func (s *shrinker) quiet() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(shrinkAfter, s.run)
		return
	}
	s.timer.Reset(shrinkAfter)
}

// busy stops the wait: a batch is running.
func (s *shrinker) busy() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
	}
}

func (s *shrinker) run() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.shrink()
	}
}

// close stops the shrinker, waiting for a shrink under way.
func (s *shrinker) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
}

// shrinkWriteCache frees what the write connection's cache holds. Best
// effort: a failure costs memory, not data.
func (db *DB) shrinkWriteCache() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	db.w.DB.ExecContext(ctx, `PRAGMA shrink_memory`)
}

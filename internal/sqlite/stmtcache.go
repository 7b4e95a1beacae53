package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"
)

// Parsing a statement costs about as much as running it, so statements are
// prepared once per connection and kept. A statement can only be prepared on
// the write connection outside a transaction (the transaction holds that one
// connection), so statements first met inside a transaction run unprepared
// and are prepared after it ends.
//
// Without it the parser (_yy_reduce) takes a fifth of the CPU of a send.
// Kept for the dispatch throughput figure of the README; see writer.go for
// the benchmark and its figures.

// maxCached bounds the cache; statements with generated IN lists vary.
const maxCached = 512

// stmtCache holds the prepared statements of one *sql.DB by SQL text.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

func cacheable(query string) bool {
	return len(query) < 4096 && !strings.Contains(query, ";")
}

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// prepare returns the cached statement for query, preparing it if needed,
// or nil if it cannot be cached. It must not be called while the calling
// goroutine holds a connection of c.db in a transaction.
func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	if !cacheable(query) {
		return nil
	}
	if st := c.get(query); st != nil {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil // run unprepared: the error, if real, shows there
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[query]; old != nil {
		st.Close()
		return old
	}
	if len(c.m) >= maxCached {
		st.Close()
		return nil
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// pool is a *sql.DB whose statements outside transactions are cached.
type pool struct {
	*sql.DB
	cache *stmtCache
}

func newPool(db *sql.DB) *pool { return &pool{DB: db, cache: newStmtCache(db)} }

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.cache.prepare(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.DB.ExecContext(ctx, query, args...)
}

func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.cache.prepare(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.cache.prepare(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// txn is a transaction that uses the cached statements and notes the ones
// it ran unprepared, for its pool to prepare once it has ended.
type txn struct {
	*sql.Tx
	cache  *stmtCache
	bound  map[string]*sql.Stmt // cached statements bound to this transaction
	missed []string
}

func (t *txn) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := t.bound[query]; st != nil {
		return st
	}
	if st := t.cache.get(query); st != nil {
		if t.bound == nil {
			t.bound = make(map[string]*sql.Stmt)
		}
		t.bound[query] = t.Tx.StmtContext(ctx, st)
		return t.bound[query]
	}
	if cacheable(query) && !slices.Contains(t.missed, query) {
		t.missed = append(t.missed, query)
	}
	return nil
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// prepareMissed prepares the statements a finished transaction ran unprepared.
func (t *txn) prepareMissed(ctx context.Context) {
	for _, q := range t.missed {
		t.cache.prepare(ctx, q)
	}
}

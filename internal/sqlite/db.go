// Package sqlite implements herald.Store on one SQLite file through
// modernc.org/sqlite (no cgo). The file is in WAL mode, so the daemon and the
// CLI can use it at the same time: reads never block, and writes are
// serialised (one write connection per process, BEGIN IMMEDIATE across
// processes, a busy timeout rather than SQLITE_BUSY errors).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

var _ herald.Store = (*DB)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// BusyTimeout is how long a statement waits for another connection's (or
// process's) write lock before failing.
const BusyTimeout = 10 * time.Second

// Page caches. SQLite gives every connection a cache of its own, and
// through modernc.org/sqlite's allocator a cached 4 KiB page takes 8 KiB;
// freed pages stay resident, up to a few MiB, for reuse.
//
// The write connection's cache starts at writeCacheKiB and grows with the
// database (cache.go).
//
// A read connection's cache is dropped whenever another connection has
// committed (WAL mode), so in a running daemon it holds pages only while
// queries run. The larger reports (30 days, trending) over a million
// articles use 10 to 16 MiB of it.
const readCacheKiB = 16000

// cacheSize is the DSN parameter that bounds a connection's page cache.
func cacheSize(kib int) string { return "&_pragma=cache_size(-" + strconv.Itoa(kib) + ")" }

// DB is a herald.Store on an SQLite file. The SQL it shares with the
// PostgreSQL store is the embedded *sqlstore.Store's.
type DB struct {
	*sqlstore.Store
	path string
	w    *pool // one connection, transactions BEGIN IMMEDIATE
	r    *pool // read pool
	wq   writer
}

// Open opens (creating it and its directory if needed) the SQLite database at
// path. It does not migrate: call Migrate.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: open %q: path must be a file name without '?' or '#'", path)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite: open: %w", err)
		}
	}
	// The file holds tokens: it, its WAL and its shared memory are created
	// for Herald's user alone (SQLite keeps the mode of files that exist).
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			f.Close()
		}
	}
	params := "?_pragma=busy_timeout(" + strconv.FormatInt(BusyTimeout.Milliseconds(), 10) + ")" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	// journal_mode=WAL is persistent and needs a write lock: set it once on
	// the write connection, before the read pool exists.
	// synchronous(FULL): a commit (the job's sending mark above all) is on
	// disk before the network call it precedes; grouped writes share the sync.
	// temp_store(MEMORY): grouped writes run each caller in a SAVEPOINT, whose
	// statement journal would otherwise be written to a temporary file.
	w, err := sql.Open("sqlite", path+params+cacheSize(writeCacheKiB)+
		"&_pragma=journal_mode(WAL)&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := pingWhileBusy(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", path+params+cacheSize(readCacheKiB)+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{path: path, w: newPool(w), r: newPool(r)}
	db.Store = sqlstore.New(newDialect(), backend{db})
	return db, nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close releases the database, first letting SQLite refresh the planner's
// statistics where they have gone stale (PRAGMA optimize).
func (db *DB) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	db.w.DB.ExecContext(ctx, `PRAGMA optimize`) // best effort: a query plan, not data, is at stake
	cancel()
	db.r.cache.close()
	db.w.cache.close()
	return errors.Join(db.r.Close(), db.w.Close())
}

// Migrate applies the embedded schema migrations not yet applied, each in its
// own transaction, in version order. Several processes may migrate at once.
func (db *DB) Migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	files, err := sqlstore.MigrationFiles(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if err := db.checkNotNewer(ctx, files); err != nil {
		return err
	}
	for _, m := range files {
		err := db.write(ctx, func(tx *txn) error {
			return sqlstore.ApplyMigration(ctx, sq(tx), migrations, "migrations", m)
		})
		if err != nil {
			return fmt.Errorf("sqlite: migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

// SchemaVersion returns the highest applied migration (0 before Migrate).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	if err != nil && strings.Contains(err.Error(), "no such table") {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return int(v.Int64), nil
}

// read runs fn in a read transaction, so that its queries see one snapshot.
func (db *DB) read(ctx context.Context, fn func(tx *txn) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	t := &txn{Tx: tx, cache: db.r.cache}
	err = fn(t)
	tx.Rollback()
	t.prepareMissed(ctx)
	return err
}

// queryer is what *sql.DB and *txn share.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// wrap adds the operation to err and turns a missing row into
// herald.ErrNotFound and uniqueness violations into herald.ErrConflict.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlite: %s: %w", op, classify(err))
}

// classify turns sql.ErrNoRows and references to missing rows into
// herald.ErrNotFound and uniqueness violations into herald.ErrConflict.
func classify(err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows), errors.Is(err, sqlstore.ErrNoRows):
		return herald.ErrNotFound
	case isUnique(err):
		return fmt.Errorf("%w: %v", herald.ErrConflict, err)
	case isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY):
		return fmt.Errorf("%w: %v", herald.ErrNotFound, err) // a reference to a missing row
	}
	return err
}

// pingWhileBusy opens the write connection, waiting up to BusyTimeout while
// another process holds the file: switching a new file to WAL takes a lock
// for which SQLite answers SQLITE_BUSY at once instead of waiting, so two
// processes opening one new database at the same moment (the daemon
// starting, a command reading its state) would otherwise fail.
func pingWhileBusy(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(BusyTimeout)
	for {
		err := w.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

func isUnique(err error) bool {
	return isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) || isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func isConstraint(err error, code int) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == code
}

// ms is a time as stored: Unix milliseconds, or NULL for the zero time.
func ms(t time.Time) any { return sqlstore.MS(t) }

// fromMS is the time of a stored millisecond count, in UTC.
func fromMS(v int64) time.Time { return sqlstore.FromMS(v) }

// tm scans a nullable millisecond column into a time.Time.
func tm(t *time.Time) sqlstore.NullTime { return sqlstore.TM(t) }

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

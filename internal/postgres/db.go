// Package postgres implements herald.Store on PostgreSQL through pgx, for
// several Herald instances sharing one database. Work is shared without a
// coordinator: sources and jobs are claimed with SELECT … FOR UPDATE SKIP
// LOCKED and a lease (claimed_by, lease_until) that another instance takes
// over once it expires; per-account spacing is claimed with the account's
// row locked, so it holds across instances.
//
// The schema mirrors the SQLite store's table for table and column for
// column (times are BIGINT milliseconds there too), so `herald store copy`
// moves an installation row by row.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

var _ herald.Store = (*DB)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a herald.Store on a PostgreSQL database. The SQL it shares with
// the SQLite store is the embedded *sqlstore.Store's.
type DB struct {
	*sqlstore.Store
	pool *pgxpool.Pool
}

// Open connects to the database at url (postgres:// or postgresql://, as
// libpq and pgx take it). Parameters the driver does not know are sent to
// the server as run-time settings, so ?search_path=herald keeps Herald's
// tables in their own schema (Migrate creates it). It does not migrate:
// call Migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", redactErr(err))
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "herald"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", redactErr(err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port,
			cfg.ConnConfig.Database, redactErr(err))
	}
	db := &DB{pool: pool}
	db.Store = sqlstore.New(newDialect(), backend{db})
	return db, nil
}

// redactErr keeps a connection string's password out of an error: pgx
// quotes the string it could not parse.
func redactErr(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string")
	}
	return err
}

// Close releases the connections.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Pool returns the connection pool, for tools that work on the database
// directly (benchmarks, `herald store copy`).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// migrateLock is the advisory lock key (with the schema's hash) that keeps
// instances starting together from migrating the same schema at once.
const migrateLock = 0x48524c44 // "HRLD"

// Migrate applies the embedded schema migrations not yet applied, each in
// its own transaction, in version order, holding an advisory lock so that
// several instances may start (and migrate) at once. It creates the schema
// search_path names first when it does not exist.
func (db *DB) Migrate(ctx context.Context) error {
	files, err := sqlstore.MigrationFiles(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Release()
	// The key is the search path's (the schema may not exist yet), so that
	// databases in different schemas of one server migrate independently.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext(current_setting('search_path')))`, migrateLock); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	defer func() {
		// A cancelled ctx must not leave the session holding the lock.
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(c, `SELECT pg_advisory_unlock($1, hashtext(current_setting('search_path')))`, migrateLock); err != nil {
			conn.Conn().Close(c) // closing the session releases the lock
		}
	}()
	if err := ensureSchema(ctx, conn.Conn()); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := checkNotNewer(ctx, conn.Conn(), files); err != nil {
		return err
	}
	for _, m := range files {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			return sqlstore.ApplyMigration(ctx, pq(tx), migrations, "migrations", m)
		})
		if err != nil {
			return fmt.Errorf("postgres: migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

// ensureSchema creates the first schema search_path names when none of
// them exists yet, so that new tables have a home.
func ensureSchema(ctx context.Context, conn *pgx.Conn) error {
	var cur *string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&cur); err != nil {
		return err
	}
	if cur != nil {
		return nil
	}
	var path string
	if err := conn.QueryRow(ctx, `SHOW search_path`).Scan(&path); err != nil {
		return err
	}
	first := strings.TrimSpace(strings.Split(path, ",")[0])
	if first == "" || first == `"$user"` {
		return errors.New("search_path names no schema to create")
	}
	name := strings.Trim(first, `"`)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create schema %s: %w", name, err)
	}
	return nil
}

// SchemaVersion returns the highest applied migration (0 before Migrate).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v *int
	err := db.pool.QueryRow(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// maxTries bounds the retries of a transaction that lost a race.
const maxTries = 8

// txMode says how write runs a transaction.
type txMode int

const (
	// retryUnique runs a transaction again after a uniqueness violation,
	// which on a shared database means that another instance inserted the
	// same row first: the next run finds it.
	retryUnique txMode = 1 << iota
	// asyncCommit does not wait for the commit to reach the disk. Only for
	// changes whose loss in a server crash reconciliation makes good: a
	// claim (the job is simply claimed again) and a job's outcome (the job
	// stays sending and is reconciled, so it is never sent twice). WAL is
	// written in order, so the next synchronous commit — StartAttempt's,
	// before any call to a network — makes them durable anyway.
	asyncCommit
)

// A transaction that commits without waiting for the disk: begun, then
// told so. beginAsync is both as one simple query; asyncRow sends them as
// two statements of a batch (the extended protocol takes one at a time).
const (
	beginReadCommitted = `BEGIN ISOLATION LEVEL READ COMMITTED`
	commitAsync        = `SET LOCAL synchronous_commit TO off`
	beginAsync         = beginReadCommitted + `; ` + commitAsync
)

// write runs fn in a read-committed transaction and commits it when fn
// returns nil. A transaction that deadlocked or failed to serialise is run
// again (fn must start from scratch each time), as is, with retryUnique,
// one that hit a uniqueness violation.
func (db *DB) write(ctx context.Context, mode txMode, fn func(tx pgx.Tx) error) error {
	opts := pgx.TxOptions{}
	if mode&asyncCommit != 0 {
		opts.BeginQuery = beginAsync
	}
	for try := 1; ; try++ {
		err := pgx.BeginTxFunc(ctx, db.pool, opts, fn)
		if err == nil || try == maxTries || ctx.Err() != nil {
			return err
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			return err
		}
		switch {
		case pe.Code == "40001", pe.Code == "40P01": // serialization_failure, deadlock_detected
		case mode&retryUnique != 0 && pe.Code == "23505":
		default:
			return err
		}
	}
}

// asyncRow runs one statement in a transaction of its own that commits
// without waiting for the disk (see asyncCommit), all in one round trip, and
// scans its one row into dest. After an error the transaction is left
// aborted on its connection, which the pool then closes.
func (db *DB) asyncRow(ctx context.Context, dest []any, sql string, args ...any) error {
	b := &pgx.Batch{}
	b.Queue(beginReadCommitted)
	b.Queue(commitAsync)
	b.Queue(sql, args...).QueryRow(func(row pgx.Row) error { return row.Scan(dest...) })
	b.Queue(`COMMIT`)
	return db.pool.SendBatch(ctx, b).Close()
}

// read runs fn in a read-only transaction, so that its queries see one snapshot.
func (db *DB) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// queryer is what *pgxpool.Pool and pgx.Tx share.
type queryer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// wrap adds the operation to err, classified (see classify).
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("postgres: %s: %w", op, classify(err))
}

// isUniqueOn reports whether err violates the named unique constraint.
func isUniqueOn(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == constraint
}

// ms is a time as stored: Unix milliseconds, or NULL for the zero time.
func ms(t time.Time) any { return sqlstore.MS(t) }

// fromMS is the time of a stored millisecond count, in UTC.
func fromMS(v int64) time.Time { return sqlstore.FromMS(v) }

// tm scans a nullable millisecond column into a time.Time.
func tm(t *time.Time) sqlstore.NullTime { return sqlstore.TM(t) }

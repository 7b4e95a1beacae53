// Package sqlstore is the SQL the SQLite and PostgreSQL stores share, written
// once: queries, row scanning and the assembly of jobs, accounts, sources,
// engagement and reports. Each store gives it a Backend (how statements and
// transactions run on its driver) and a Dialect (the few spellings that
// differ: booleans, planner hints, row locks, notification), and embeds the
// resulting *Store, whose methods then serve as its own. What truly differs
// between the two databases (claiming, saving articles, migrations) stays in
// the store's package.
//
// Shared SQL takes its arguments as ? (or ?N, numbered from 1); a backend
// whose driver numbers them otherwise rewrites them (Rebind).
package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Row is one result row, as *sql.Row and pgx.Row are, except that its Scan
// returns ErrNoRows when there is none.
type Row interface {
	Scan(dest ...any) error
}

// ErrNoRows is what a Row's Scan returns when the query returned no row.
var ErrNoRows = errors.New("no rows in result set")

// Rows is a result set, as *sql.Rows and pgx.Rows are (Close returns nothing:
// errors surface in Err).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Collect scans every row of rows with scan, in order, and closes them.
func Collect[T any](rows Rows, scan func(Row) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Querier runs statements, on a pool or inside a transaction.
type Querier interface {
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
	// ExecAll runs stmts in order, in one round trip where the driver can,
	// and returns the index of the first that failed with its error.
	ExecAll(ctx context.Context, stmts []Stmt) (int, error)
}

// Stmt is a statement with its arguments, for ExecAll.
type Stmt struct {
	SQL  string
	Args []any
}

// Mode says how Write runs a transaction.
type Mode int

// RetryUnique runs a write transaction again after a uniqueness violation,
// which on a shared database means another instance inserted the same row
// first: the next run finds it. A store whose writes are serialised ignores it.
const RetryUnique Mode = 1

// AsyncCommit does not wait for the commit to reach the disk: only for
// changes whose loss in a crash reconciliation makes good (a claim, a job's
// outcome, a replay record that the articles' own commit follows). Both
// databases write their log in order, so the next durable commit (a job's
// sending mark before any network call) makes it durable too.
const AsyncCommit Mode = 2

// Backend runs statements on one store's driver.
type Backend interface {
	// Reader runs single read statements outside a transaction.
	Reader() Querier
	// Exec runs one write statement in a transaction of its own and returns
	// how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Read runs fn in a read-only transaction (one snapshot).
	Read(ctx context.Context, fn func(q Querier) error) error
	// Write runs fn in a write transaction committed when fn returns nil;
	// fn may run more than once and must start from scratch each time.
	Write(ctx context.Context, mode Mode, fn func(q Querier) error) error
}

// Dialect is what differs in the spelling of the shared SQL.
type Dialect struct {
	// Name prefixes errors ("sqlite: list jobs: …").
	Name string
	// True and False are boolean literals as the schema's partial indexes
	// spell them, so that the planner can use those indexes.
	True, False string
	// Greatest is the two-argument maximum function.
	Greatest string
	// IndexedBy returns a hint naming the index a table is read through,
	// placed after the table's name ("" where the planner needs none).
	IndexedBy func(index string) string
	// Fence ends a subquery the planner must run as written ("" if none).
	Fence string
	// LockRow ends a SELECT whose rows the transaction changes next, so that
	// concurrent writers take turns ("" where writes are serialised).
	LockRow string
	// Int and Float cast an aggregate to a 64-bit integer or a float.
	Int, Float func(expr string) string
	// NoLimit is the LIMIT argument that sets no limit.
	NoLimit any
	// Categories returns the scan destination of an article's categories,
	// CategoriesValue what is written for them.
	Categories      func(dst *[]string) any
	CategoriesValue func(c []string) any
	// TrendingPosts returns the trending report's CTE p (see reportPosts):
	// each live post's gain between its first and last reading inside the
	// window, and its clicks there.
	TrendingPosts func(t Trending) string
	// Claim is how the database picks and leases the jobs of a claim.
	Claim ClaimSteps
	// NotifyJobs is a statement that announces due jobs to other instances
	// when its transaction commits ("" for none).
	NotifyJobs string
	// Classify returns herald.ErrNotFound for a missing row or a reference
	// to one, an error wrapping herald.ErrConflict for a uniqueness
	// violation, and err itself otherwise.
	Classify func(err error) error
}

// Store is the shared part of a herald.Store. Stores embed it.
type Store struct {
	d *Dialect
	b Backend
}

// New returns the shared store over b speaking d.
func New(d *Dialect, b Backend) *Store { return &Store{d: d, b: b} }

// Dialect returns the store's dialect.
func (s *Store) Dialect() *Dialect { return s.d }

// Wrap adds the store's name and the operation to err, classified.
func (d *Dialect) Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrNoRows) {
		err = herald.ErrNotFound
	} else {
		err = d.Classify(err)
	}
	return fmt.Errorf("%s: %s: %w", d.Name, op, err)
}

func (s *Store) wrap(op string, err error) error { return s.d.Wrap(op, err) }

// notify announces due jobs when q's transaction commits.
func (s *Store) notify(ctx context.Context, q Querier) error {
	if s.d.NotifyJobs == "" {
		return nil
	}
	_, err := q.Exec(ctx, s.d.NotifyJobs)
	return err
}

// MS is a time as stored: Unix milliseconds, or NULL for the zero time.
func MS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// FromMS is the time of a stored millisecond count, in UTC.
func FromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// NullTime scans a nullable millisecond column into a time.Time (it is an
// sql.Scanner, which pgx uses too).
type NullTime struct{ T *time.Time }

// TM returns the scan destination of a nullable millisecond column.
func TM(t *time.Time) NullTime { return NullTime{t} }

// Scan implements sql.Scanner.
func (n NullTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*n.T = time.Time{}
	case int64:
		*n.T = FromMS(x)
	default:
		return fmt.Errorf("time column holds %T", v)
	}
	return nil
}

// Placeholders returns "?, ?, ?" for n arguments.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// in returns "(?, ?)" for vs and appends them to args.
func in[T any](args *[]any, vs []T) string {
	for _, v := range vs {
		*args = append(*args, v)
	}
	return "(" + Placeholders(len(vs)) + ")"
}

// FloorDiv is a/b rounded towards minus infinity.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Milliseconds in an hour and a day.
const (
	HourMS = int64(time.Hour / time.Millisecond)
	DayMS  = 24 * HourMS
)

// DefaultLease guards against a zero lease, which would let a second
// claimer take the work at once.
func DefaultLease(d time.Duration) time.Duration {
	if d <= 0 {
		return 30 * time.Second
	}
	return d
}

// NotFoundOr tells a missing row (ErrNotFound) from a lease held by another
// owner or a row in the wrong state (otherwise) after an update that
// matched nothing.
func NotFoundOr(ctx context.Context, q Querier, table string, id int64, otherwise error) error {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return herald.ErrNotFound
	}
	return otherwise
}

// Rebind rewrites ? and ?N placeholders as $N, outside quoted text.
func Rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	quoted := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			j := i + 1
			for j < len(query) && '0' <= query[j] && query[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(query[i+1 : j])
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
			i = j - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// updateOne runs an update of one row, ErrNotFound when none matched.
func (s *Store) updateOne(ctx context.Context, op, query string, args ...any) error {
	n, err := s.b.Exec(ctx, query, args...)
	if err == nil && n == 0 {
		err = herald.ErrNotFound
	}
	return s.wrap(op, err)
}

// errNoOwner is returned for a lease asked for by nobody.
var errNoOwner = errors.New("no owner")

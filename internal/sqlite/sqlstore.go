package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/heraldhq/herald/internal/sqlstore"
)

// newDialect is how the shared SQL is spelt for SQLite: booleans as the
// partial indexes spell them (0 and 1), INDEXED BY where the planner,
// without statistics, would take another index, and no row locks (writes
// are serialised).
func newDialect() *sqlstore.Dialect {
	same := func(e string) string { return e }
	return &sqlstore.Dialect{
		Name: "sqlite", True: "1", False: "0", Greatest: "max",
		IndexedBy:       func(index string) string { return " INDEXED BY " + index },
		Int:             same,
		Float:           same,
		NoLimit:         -1,
		Categories:      func(dst *[]string) any { return categoriesOf{dst} },
		CategoriesValue: func(c []string) any { return encodeCategories(c) },
		TrendingPosts:   trendingPosts,
		// Writes are serialised, so what claimCandidates reads cannot
		// change before the jobs are leased.
		Claim:    sqlstore.ClaimSteps{Pick: claimCandidates, Lease: leaseClaimed},
		Classify: classify,
	}
}

// trendingPosts is the trending report's CTE: each post's first and last
// reading inside the window are found through snapshots' primary key.
func trendingPosts(t sqlstore.Trending) string {
	return `WITH w AS (
		SELECT j.id, j.article_id, j.published_at, j.network,
			(SELECT min(at) FROM snapshots WHERE job_id = j.id AND at >= ` + t.Since + ` AND at <= ` + t.Until + `) AS f,
			(SELECT max(at) FROM snapshots WHERE job_id = j.id AND at >= ` + t.Since + ` AND at <= ` + t.Until + `) AS l
		FROM jobs j INDEXED BY jobs_report` + t.Filter + `),
	p AS (
		SELECT w.article_id, w.published_at, w.network,
			coalesce(l.retweets - f.retweets, 0) AS retweets, coalesce(l.quotes - f.quotes, 0) AS quotes,
			coalesce(l.likes - f.likes, 0) AS likes, coalesce(l.replies - f.replies, 0) AS replies,
			coalesce(l.impressions - f.impressions, 0) AS impressions, coalesce(l.shares - f.shares, 0) AS shares,
			coalesce(l.reactions - f.reactions, 0) AS reactions, coalesce(l.comments - f.comments, 0) AS comments,
			(SELECT coalesce(sum(n), 0) FROM click_counts c WHERE c.job_id = w.id
				AND c.hour >= ` + t.HourStart + ` AND c.hour < ` + t.Until + `) AS clicks
		FROM w LEFT JOIN snapshots f ON f.job_id = w.id AND f.at = w.f
		LEFT JOIN snapshots l ON l.job_id = w.id AND l.at = w.l)`
}

// categoriesOf scans the JSON list of an article's categories.
type categoriesOf struct{ dst *[]string }

func (c categoriesOf) Scan(v any) error {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	}
	var err error
	*c.dst, err = decodeCategories(s)
	return err
}

// backend runs the shared SQL on the DB's connections: reads on the read
// pool, writes through the grouped writer.
type backend struct{ db *DB }

func (b backend) Reader() sqlstore.Querier { return sq(b.db.r) }

func (b backend) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := b.db.write(ctx, func(tx *txn) error {
		var err error
		n, err = sq(tx).Exec(ctx, query, args...)
		return err
	})
	return n, err
}

func (b backend) Read(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return b.db.read(ctx, func(tx *txn) error { return fn(sq(tx)) })
}

func (b backend) Write(ctx context.Context, m sqlstore.Mode, fn func(sqlstore.Querier) error) error {
	write := b.db.write
	if m&sqlstore.AsyncCommit != 0 {
		write = b.db.writeAsync
	}
	return write(ctx, func(tx *txn) error { return fn(sq(tx)) })
}

// sq is a pool or a transaction as a sqlstore.Querier.
func sq(x queryer) sqlstore.Querier { return querier{x} }

type querier struct{ x queryer }

func (s querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.x.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := s.x.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (s querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return sqlRow{s.x.QueryRowContext(ctx, query, args...)}
}

func (s querier) ExecAll(ctx context.Context, stmts []sqlstore.Stmt) (int, error) {
	for i, st := range stmts {
		if _, err := s.x.ExecContext(ctx, st.SQL, st.Args...); err != nil {
			return i, err
		}
	}
	return 0, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

type sqlRow struct{ *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}

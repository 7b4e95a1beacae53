package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

// newDialect is how the shared SQL is spelt for PostgreSQL: real booleans,
// casts where sums of BIGINT would be NUMERIC, rows locked before they are
// changed (instances write at once), and a notification of due jobs.
func newDialect() *sqlstore.Dialect {
	return &sqlstore.Dialect{
		Name: "postgres", True: "true", False: "false", Greatest: "greatest",
		IndexedBy: func(string) string { return "" },
		// OFFSET 0 keeps a subquery a probe per outer row, rather than a
		// join with every row it could match.
		Fence:      ` OFFSET 0`,
		LockRow:    ` FOR NO KEY UPDATE`,
		Int:        func(e string) string { return "(" + e + ")::bigint" },
		Float:      func(e string) string { return "(" + e + ")::float8" },
		NoLimit:    nil,
		Categories: func(dst *[]string) any { return dst },
		// Never NULL.
		CategoriesValue: func(c []string) any {
			if c == nil {
				return []string{}
			}
			return c
		},
		TrendingPosts: trendingPosts,
		// Job rows another instance is claiming are skipped, not waited
		// for; the rows of the claimed accounts are locked for the claim
		// (and an account with spacing then held for it), so that two
		// instances never send for one account at once, nor within its
		// spacing, nor past its limits.
		Claim:      sqlstore.ClaimSteps{Pick: claimCandidates, Lease: leaseClaimed},
		NotifyJobs: `SELECT pg_notify('` + JobsChannel + `', '')`,
		Classify:   classify,
	}
}

// trendingPosts is the trending report's CTE: each post's first and last
// reading inside the window, found by lateral joins.
func trendingPosts(t sqlstore.Trending) string {
	window := `WHERE job_id = j.id AND at >= ` + t.Since + ` AND at <= ` + t.Until
	return `WITH p AS (
		SELECT j.article_id, j.published_at, j.network,
			coalesce(l.retweets - f.retweets, 0) AS retweets, coalesce(l.quotes - f.quotes, 0) AS quotes,
			coalesce(l.likes - f.likes, 0) AS likes, coalesce(l.replies - f.replies, 0) AS replies,
			coalesce(l.impressions - f.impressions, 0) AS impressions, coalesce(l.shares - f.shares, 0) AS shares,
			coalesce(l.reactions - f.reactions, 0) AS reactions, coalesce(l.comments - f.comments, 0) AS comments,
			(SELECT coalesce(sum(n), 0)::bigint FROM click_counts c WHERE c.job_id = j.id
				AND c.hour >= ` + t.HourStart + ` AND c.hour < ` + t.Until + `) AS clicks
		FROM jobs j
		LEFT JOIN LATERAL (SELECT * FROM snapshots ` + window + ` ORDER BY at LIMIT 1) f ON true
		LEFT JOIN LATERAL (SELECT * FROM snapshots ` + window + ` ORDER BY at DESC LIMIT 1) l ON true` +
		t.Filter + `)`
}

// classify turns a missing row and a reference to one into
// herald.ErrNotFound and uniqueness violations into herald.ErrConflict.
func classify(err error) error {
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows), errors.Is(err, sqlstore.ErrNoRows):
		return herald.ErrNotFound
	case errors.As(err, &pe) && pe.Code == "23505": // unique_violation
		return fmt.Errorf("%w: %v", herald.ErrConflict, err)
	case errors.As(err, &pe) && pe.Code == "23503": // foreign_key_violation
		return fmt.Errorf("%w: %v", herald.ErrNotFound, err)
	}
	return err
}

// backend runs the shared SQL on the pool.
type backend struct{ db *DB }

func (b backend) Reader() sqlstore.Querier { return pq(b.db.pool) }

func (b backend) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return pq(b.db.pool).Exec(ctx, query, args...)
}

func (b backend) Read(ctx context.Context, fn func(sqlstore.Querier) error) error {
	return b.db.read(ctx, func(tx pgx.Tx) error { return fn(pq(tx)) })
}

func (b backend) Write(ctx context.Context, m sqlstore.Mode, fn func(sqlstore.Querier) error) error {
	var mode txMode
	if m&sqlstore.RetryUnique != 0 {
		mode |= retryUnique
	}
	if m&sqlstore.AsyncCommit != 0 {
		mode |= asyncCommit
	}
	return b.db.write(ctx, mode, func(tx pgx.Tx) error { return fn(pq(tx)) })
}

// batcher is what *pgxpool.Pool and pgx.Tx share.
type batcher interface {
	queryer
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// pq is a pool or a transaction as a sqlstore.Querier: it numbers the
// shared SQL's placeholders as PostgreSQL does (a statement without
// arguments, such as a migration, is sent as written).
func pq(x batcher) sqlstore.Querier { return querier{x} }

type querier struct{ x batcher }

func (s querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := s.x.Exec(ctx, rebind(query, args), args...)
	return tag.RowsAffected(), err
}

func (s querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return s.x.Query(ctx, rebind(query, args), args...)
}

func (s querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return pgRow{s.x.QueryRow(ctx, rebind(query, args), args...)}
}

// ExecAll sends stmts in one batch: one round trip.
func (s querier) ExecAll(ctx context.Context, stmts []sqlstore.Stmt) (int, error) {
	b := &pgx.Batch{}
	for _, st := range stmts {
		b.Queue(rebind(st.SQL, st.Args), st.Args...)
	}
	br := s.x.SendBatch(ctx, b)
	for i := range stmts {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return i, err
		}
	}
	return 0, br.Close()
}

type pgRow struct{ pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}

func rebind(query string, args []any) string {
	if len(args) == 0 {
		return query
	}
	return sqlstore.Rebind(query)
}

package storebench

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres fills the empty, migrated PostgreSQL database of pool with d's
// data set (the SQLite one, row for row), moves the ID sequences past it,
// then vacuums and analyses it.
func Postgres(ctx context.Context, pool *pgxpool.Pool, d Data) error {
	p, err := d.plan()
	if err != nil {
		return fmt.Errorf("synthesize: %w", err)
	}
	var has bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM articles)`).Scan(&has); err != nil {
		return fmt.Errorf("synthesize: %w", err)
	}
	if has {
		return errors.New("synthesize: the database already has articles")
	}
	_, err = pool.Exec(ctx, `INSERT INTO accounts (id, network, created_at) VALUES
		('bench_x', 'twitter', $1), ('bench_fb', 'facebook', $1) ON CONFLICT (id) DO NOTHING`, p.now)
	if err == nil {
		_, err = pool.Exec(ctx, `INSERT INTO sources (name, url, seeded, created_at)
			VALUES ('bench', 'file:///bench.xml', true, $1) ON CONFLICT (name) DO NOTHING`, p.now)
	}
	if err != nil {
		return fmt.Errorf("synthesize: %w", err)
	}
	err = p.batches(func(lo, hi int) error {
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return p.postgresBatch(ctx, tx, lo, hi) }); err != nil {
			return fmt.Errorf("synthesize articles %d-%d: %w", lo, hi, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, table := range []string{"articles", "jobs"} {
		if _, err := pool.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce(max(id), 0) + 1, false)
			FROM `+table, table); err != nil {
			return fmt.Errorf("synthesize: reset %s id sequence: %w", table, err)
		}
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		return fmt.Errorf("synthesize: vacuum: %w", err)
	}
	return nil
}

// postgresBatch writes articles lo..hi (their IDs), their posts and readings.
func (p plan) postgresBatch(ctx context.Context, tx pgx.Tx, lo, hi int) error {
	_, err := tx.Exec(ctx, `INSERT INTO articles (id, url, guid, title, summary, section, published_at, first_seen_at, updated_at)
		SELECT i, 'https://bench.example/news/' || i, 'g' || i, 'Story number ' || i || ' of the benchmark',
			'A summary', 'bench', $3 + i * $4, $3 + i * $4, $3 + i * $4 FROM generate_series($1::bigint, $2::bigint) i`,
		lo, hi, p.start, p.step)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, linkSQL(postgresPH), lo, hi); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE sources SET article_count = article_count + $1 WHERE name = 'bench'`, hi-lo+1); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, jobsSQL(postgresPH, "greatest", "least"), p.jobsArgs(lo, hi)...); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO snapshots (job_id, at, retweets, quotes, likes, replies, impressions, shares, reactions, comments)
		SELECT j.id, j.sent_at + k * $3,
			j.retweets * k / n, j.quotes * k / n, j.likes * k / n, j.replies * k / n,
			j.impressions * k / n, j.shares * k / n, j.reactions * k / n, j.comments * k / n
		FROM (SELECT j.*, (j.last_collected_at - j.sent_at) / $3 AS n FROM jobs j
			WHERE j.article_id BETWEEN $1 AND $2 AND j.last_collected_at IS NOT NULL) j
		CROSS JOIN LATERAL generate_series(1, j.n) k
		ORDER BY j.id, k`, lo, hi, p.every)
	return err
}

func postgresPH(i int) string { return "$" + strconv.Itoa(i) }

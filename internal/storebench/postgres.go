package storebench

import (
	"context"
	"errors"
	"fmt"

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
	if _, err := tx.Exec(ctx, `INSERT INTO article_sources (article_id, source_id, guid, first_seen_at)
		SELECT a.id, s.id, a.guid, a.first_seen_at FROM articles a, sources s
		WHERE s.name = 'bench' AND a.id BETWEEN $1 AND $2`, lo, hi); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE sources SET article_count = article_count + $1 WHERE name = 'bench'`, hi-lo+1); err != nil {
		return err
	}
	// taken: readings made by now; counters are final * taken / S.
	_, err = tx.Exec(ctx, `INSERT INTO jobs (article_id, account_id, network, seq, kind, state, published_at,
		scheduled_at, next_attempt_at, attempts, remote_id, permalink, sent_at, short_code, created_at, updated_at,
		retweets, quotes, likes, replies, impressions, shares, reactions, comments, clicks, last_collected_at)
		SELECT a.id, c.account, c.network, 0, 'post', 'sent', a.published_at, a.published_at, a.published_at, 1,
			'b' || a.id || '-' || c.n, '', a.published_at + 1000, 'b' || a.id || '-' || c.n,
			a.published_at, a.published_at,
			c.x * (h % 400) * taken / $4, c.x * (h % 60) * taken / $4, c.x * (h % 1500) * taken / $4,
			c.x * (h % 90) * taken / $4, c.x * (h % 40000) * taken / $4, (1 - c.x) * (h % 300) * taken / $4,
			(1 - c.x) * (h % 2500) * taken / $4, (1 - c.x) * (h % 200) * taken / $4, h % 50,
			CASE WHEN taken > 0 THEN a.published_at + 1000 + taken * $5 END
		FROM (SELECT a.id, a.published_at, (a.id * 2654435761 + 40503) % 1000003 AS h,
				CASE WHEN $7 = 0 THEN 0 ELSE greatest(0, least($7, ($3 - a.published_at - 1000) / $5)) END AS taken
			FROM articles a WHERE a.id BETWEEN $1 AND $2) a
		JOIN (VALUES (0, 'bench_x', 'twitter', 1), (1, 'bench_fb', 'facebook', 0)) AS c (n, account, network, x)
			ON c.n < $6
		ORDER BY a.id, c.n`, lo, hi, p.now, max(p.SnapshotsPerPost, 1), p.every, p.PostsPerArticle, p.SnapshotsPerPost)
	if err != nil {
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

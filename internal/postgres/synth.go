package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Synthetic sizes a generated data set for benchmarks of the report and the
// collector at scale (a million articles and more). It is the SQLite
// store's data set, row for row.
type Synthetic struct {
	Articles         int           // published evenly over Span before Now
	PostsPerArticle  int           // 1 or 2: one X post, one Facebook post (sent, collected)
	SnapshotsPerPost int           // readings per post, spread over CollectFor after it was sent
	Span             time.Duration // default 365 days
	CollectFor       time.Duration // default 7 days
	Now              time.Time
}

// Synthesize fills an empty, migrated database with s's data set in
// batches, straight in SQL (far faster than the Store methods, and meant
// for benchmarks only), then vacuums and analyses it. Accounts bench_x
// (twitter) and bench_fb (facebook) and source bench are created. Each
// post's latest counters equal its last reading, as the collector leaves them.
func (db *DB) Synthesize(ctx context.Context, s Synthetic) error {
	if s.Articles <= 0 || s.PostsPerArticle < 0 || s.PostsPerArticle > 2 || s.SnapshotsPerPost < 0 {
		return errors.New("postgres: synthesize: need Articles > 0, PostsPerArticle 0..2, SnapshotsPerPost ≥ 0")
	}
	if s.Span <= 0 {
		s.Span = 365 * 24 * time.Hour
	}
	if s.CollectFor <= 0 {
		s.CollectFor = 7 * 24 * time.Hour
	}
	if s.Now.IsZero() {
		s.Now = time.Now()
	}
	var has bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM articles)`).Scan(&has); err != nil {
		return fmt.Errorf("postgres: synthesize: %w", err)
	}
	if has {
		return errors.New("postgres: synthesize: the database already has articles")
	}
	now := s.Now.UnixMilli()
	_, err := db.pool.Exec(ctx, `INSERT INTO accounts (id, network, created_at) VALUES
		('bench_x', 'twitter', $1), ('bench_fb', 'facebook', $1) ON CONFLICT (id) DO NOTHING`, now)
	if err == nil {
		_, err = db.pool.Exec(ctx, `INSERT INTO sources (name, url, seeded, created_at)
			VALUES ('bench', 'file:///bench.xml', true, $1) ON CONFLICT (name) DO NOTHING`, now)
	}
	if err != nil {
		return fmt.Errorf("postgres: synthesize: %w", err)
	}
	g := synth{s: s, now: now, step: s.Span.Milliseconds() / int64(s.Articles), start: now - s.Span.Milliseconds(), every: 1}
	if s.SnapshotsPerPost > 0 {
		g.every = max(s.CollectFor.Milliseconds()/int64(s.SnapshotsPerPost), 1)
	}
	const batch = 50_000
	for lo := 1; lo <= s.Articles; lo += batch {
		hi := min(lo+batch-1, s.Articles)
		if err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return g.batch(ctx, tx, lo, hi) }); err != nil {
			return fmt.Errorf("postgres: synthesize articles %d-%d: %w", lo, hi, err)
		}
	}
	if err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return resetSequences(ctx, tx) }); err != nil {
		return fmt.Errorf("postgres: synthesize: %w", err)
	}
	if _, err := db.pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		return fmt.Errorf("postgres: synthesize: vacuum: %w", err)
	}
	return nil
}

type synth struct {
	s                       Synthetic
	now, step, start, every int64
}

// batch writes articles lo..hi (their IDs), their posts and readings.
// Figures come from a hash of the IDs: a few stories do far better than most.
func (g synth) batch(ctx context.Context, tx pgx.Tx, lo, hi int) error {
	_, err := tx.Exec(ctx, `INSERT INTO articles (id, url, guid, title, summary, section, published_at, first_seen_at, updated_at)
		SELECT i, 'https://bench.example/news/' || i, 'g' || i, 'Story number ' || i || ' of the benchmark',
			'A summary', 'bench', $3 + i * $4, $3 + i * $4, $3 + i * $4 FROM generate_series($1::bigint, $2::bigint) i`,
		lo, hi, g.start, g.step)
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
		ORDER BY a.id, c.n`, lo, hi, g.now, max(g.s.SnapshotsPerPost, 1), g.every, g.s.PostsPerArticle, g.s.SnapshotsPerPost)
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
		ORDER BY j.id, k`, lo, hi, g.every)
	return err
}

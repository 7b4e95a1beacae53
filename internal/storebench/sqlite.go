package storebench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// SQLite fills the empty, migrated SQLite database at path with d's data
// set, through a connection of its own, then analyses it.
func SQLite(ctx context.Context, path string, d Data) error {
	p, err := d.plan()
	if err != nil {
		return fmt.Errorf("synthesize: %w", err)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)")
	if err != nil {
		return fmt.Errorf("synthesize: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM articles`).Scan(&n); err != nil {
		return fmt.Errorf("synthesize: %w", err)
	}
	if n > 0 {
		return errors.New("synthesize: the database already has articles")
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO accounts (id, network, created_at) VALUES
		('bench_x', 'twitter', ?1), ('bench_fb', 'facebook', ?1) ON CONFLICT (id) DO NOTHING;
		INSERT INTO sources (name, url, seeded, created_at) VALUES ('bench', 'file:///bench.xml', 1, ?1)
		ON CONFLICT (name) DO NOTHING`, p.now); err != nil {
		return fmt.Errorf("synthesize: %w", err)
	}
	err = p.batches(func(lo, hi int) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := p.sqliteBatch(ctx, tx, lo, hi); err != nil {
			tx.Rollback()
			return fmt.Errorf("synthesize articles %d-%d: %w", lo, hi, err)
		}
		return tx.Commit()
	})
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("synthesize: analyze: %w", err)
	}
	return nil
}

// sqliteBatch writes articles lo..hi (their IDs), their posts and readings.
func (p plan) sqliteBatch(ctx context.Context, tx *sql.Tx, lo, hi int) error {
	_, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
		INSERT INTO articles (id, url, guid, title, summary, section, published_at, first_seen_at, updated_at)
		SELECT i, 'https://bench.example/news/' || i, 'g' || i, 'Story number ' || i || ' of the benchmark',
			'A summary', 'bench', ?3 + i * ?4, ?3 + i * ?4, ?3 + i * ?4 FROM n`, lo, hi, p.start, p.step)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, linkSQL(sqlitePH)+`;
		UPDATE sources SET article_count = article_count + (?2 - ?1 + 1) WHERE name = 'bench'`, lo, hi); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, jobsSQL(sqlitePH, "max", "min"), p.jobsArgs(lo, hi)...); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `WITH RECURSIVE r(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM r WHERE k < ?3)
		INSERT INTO snapshots (job_id, at, retweets, quotes, likes, replies, impressions, shares, reactions, comments)
		SELECT j.id, j.sent_at + r.k * ?4,
			j.retweets * r.k / n, j.quotes * r.k / n, j.likes * r.k / n, j.replies * r.k / n,
			j.impressions * r.k / n, j.shares * r.k / n, j.reactions * r.k / n, j.comments * r.k / n
		FROM (SELECT j.*, (j.last_collected_at - j.sent_at) / ?4 AS n FROM jobs j
			WHERE j.article_id BETWEEN ?1 AND ?2 AND j.last_collected_at IS NOT NULL) j
		JOIN r ON r.k <= j.n
		ORDER BY j.id, r.k`, lo, hi, max(p.SnapshotsPerPost, 1), p.every)
	return err
}

func sqlitePH(i int) string { return "?" + strconv.Itoa(i) }

package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
)

// RetryFlood puts the automatic posts that the flood limit recorded skipped
// for source's deliveries back to pending, due now; see herald.Store.
func (db *DB) RetryFlood(ctx context.Context, source string, now time.Time) (int, error) {
	var n int64
	err := db.write(ctx, 0, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE jobs SET state = 'pending', next_attempt_at = $1, attempts = 0,
			skip_reason = '', claimed_by = '', lease_until = NULL, updated_at = $1
			WHERE state = 'skipped' AND skip_reason = $2
			AND article_id IN (SELECT x.article_id FROM article_sources x
				JOIN sources s ON s.id = x.source_id WHERE s.name = $3)`, now.UnixMilli(), herald.SkipFlood, source)
		if err != nil {
			return err
		}
		if n = tag.RowsAffected(); n > 0 {
			return notifyJobs(ctx, tx)
		}
		return nil
	})
	return int(n), wrap(fmt.Sprintf("retry flood of %s", source), err)
}

// CountFlood counts the automatic posts the flood limit recorded skipped,
// by the source whose delivery brought them; see herald.Store.
func (db *DB) CountFlood(ctx context.Context) (map[string]int, error) {
	var out map[string]int
	err := db.read(ctx, func(tx pgx.Tx) error {
		out = make(map[string]int)
		rows, err := tx.Query(ctx, `SELECT a.section, count(*) FROM jobs j JOIN articles a ON a.id = j.article_id
			WHERE j.state = 'skipped' AND j.skip_reason = $1 GROUP BY a.section`, herald.SkipFlood)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var n int
			if err := rows.Scan(&name, &n); err != nil {
				return err
			}
			out[name] = n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("count flood", err)
	}
	return out, nil
}

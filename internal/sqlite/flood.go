package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// RetryFlood puts the automatic posts that the flood limit recorded skipped
// for source's deliveries back to pending, due now; see herald.Store.
func (db *DB) RetryFlood(ctx context.Context, source string, now time.Time) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'pending', next_attempt_at = ?1, attempts = 0,
			skip_reason = '', claimed_by = '', lease_until = NULL, updated_at = ?1
			WHERE state = 'skipped' AND skip_reason = ?2
			AND article_id IN (SELECT x.article_id FROM article_sources x
				JOIN sources s ON s.id = x.source_id WHERE s.name = ?3)`, now.UnixMilli(), herald.SkipFlood, source)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), wrap(fmt.Sprintf("retry flood of %s", source), err)
}

// CountFlood counts the automatic posts the flood limit recorded skipped,
// by the source whose delivery brought them; see herald.Store.
func (db *DB) CountFlood(ctx context.Context) (map[string]int, error) {
	out := make(map[string]int)
	err := db.read(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, `SELECT a.section, count(*) FROM jobs j JOIN articles a ON a.id = j.article_id
			WHERE j.state = 'skipped' AND j.skip_reason = ? GROUP BY a.section`, herald.SkipFlood)
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

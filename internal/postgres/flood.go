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

// CountFlood counts the automatic posts the flood limit recorded skipped
// and not released, of the stories source carries ("" for all sources);
// see herald.Store.
func (db *DB) CountFlood(ctx context.Context, source string) (int, error) {
	var n int
	err := db.read(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, qCountFlood, herald.SkipFlood, source).Scan(&n)
	})
	return n, wrap("count flood", err)
}

const qCountFlood = `SELECT count(*) FROM jobs WHERE state = 'skipped' AND skip_reason = $1
	AND ($2 = '' OR article_id IN (SELECT x.article_id FROM article_sources x
		JOIN sources s ON s.id = x.source_id WHERE s.name = $2))`

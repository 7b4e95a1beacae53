package sqlite

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var _ herald.ClickRecorder = (*DB)(nil)

// RecordClickOnce counts a click on code once per client network and UTC
// day (see herald.ClickRecorder). Earlier days' networks are forgotten.
func (db *DB) RecordClickOnce(ctx context.Context, code, network string, at time.Time) (herald.Job, bool, error) {
	var (
		j       herald.Job
		counted bool
	)
	day := floorDiv(at.UnixMilli(), dayMS) * dayMS
	err := db.write(ctx, func(tx *txn) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM jobs WHERE short_code = ?`, code).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM click_seen WHERE day < ?`, day); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO click_seen (job_id, network, day) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, id, network, day)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if counted = n == 1; counted {
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET clicks = clicks + 1 WHERE id = ?`, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO click_counts (job_id, hour, n) VALUES (?, ?, 1)
				ON CONFLICT (job_id, hour) DO UPDATE SET n = n + 1`, id, floorDiv(at.UnixMilli(), hourMS)*hourMS); err != nil {
				return err
			}
		}
		j, err = getJob(ctx, tx, id)
		return err
	})
	return j, counted, wrap("record click once", err)
}

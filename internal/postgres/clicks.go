package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

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
	err := db.write(ctx, 0, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM jobs WHERE short_code = $1`, code).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM click_seen WHERE day < $1`, day); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO click_seen (job_id, network, day) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, id, network, day)
		if err != nil {
			return err
		}
		if counted = tag.RowsAffected() == 1; counted {
			if _, err := tx.Exec(ctx, `UPDATE jobs SET clicks = clicks + 1 WHERE id = $1`, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO click_counts (job_id, hour, n) VALUES ($1, $2, 1)
				ON CONFLICT (job_id, hour) DO UPDATE SET n = click_counts.n + 1`, id, floorDiv(at.UnixMilli(), hourMS)*hourMS); err != nil {
				return err
			}
		}
		j, err = getJob(ctx, tx, id)
		return err
	})
	return j, counted, wrap("record click once", err)
}

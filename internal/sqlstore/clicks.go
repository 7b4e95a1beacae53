package sqlstore

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// RecordClickOnce counts a click on code once per client network and UTC
// day (see herald.ClickRecorder). Earlier days' networks are forgotten.
func (s *Store) RecordClickOnce(ctx context.Context, code, network string, at time.Time) (herald.Job, bool, error) {
	var (
		j       herald.Job
		counted bool
	)
	day := FloorDiv(at.UnixMilli(), DayMS) * DayMS
	err := s.b.Write(ctx, 0, func(q Querier) error {
		var id int64
		if err := q.QueryRow(ctx, `SELECT id FROM jobs WHERE short_code = ?`, code).Scan(&id); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM click_seen WHERE day < ?`, day); err != nil {
			return err
		}
		n, err := q.Exec(ctx, `INSERT INTO click_seen (job_id, network, day) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, id, network, day)
		if err != nil {
			return err
		}
		if counted = n == 1; counted {
			if _, err := q.Exec(ctx, `UPDATE jobs SET clicks = clicks + 1 WHERE id = ?`, id); err != nil {
				return err
			}
			if _, err := q.Exec(ctx, `INSERT INTO click_counts (job_id, hour, n) VALUES (?, ?, 1)
				ON CONFLICT (job_id, hour) DO UPDATE SET n = click_counts.n + 1`,
				id, FloorDiv(at.UnixMilli(), HourMS)*HourMS); err != nil {
				return err
			}
		}
		j, err = s.getJob(ctx, q, id)
		return err
	})
	return j, counted, s.wrap("record click once", err)
}

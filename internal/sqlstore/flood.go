package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// RetryFlood puts the automatic posts that the flood limit recorded skipped
// for source's deliveries back to pending, due now; see herald.Store.
func (s *Store) RetryFlood(ctx context.Context, source string, now time.Time) (int, error) {
	var n int64
	err := s.b.Write(ctx, 0, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `UPDATE jobs SET state = 'pending', next_attempt_at = ?1, attempts = 0,
			skip_reason = '', claimed_by = '', lease_until = NULL, updated_at = ?1
			WHERE state = 'skipped' AND skip_reason = ?2
			AND article_id IN (SELECT x.article_id FROM article_sources x
				JOIN sources s ON s.id = x.source_id WHERE s.name = ?3)`, now.UnixMilli(), herald.SkipFlood, source)
		if err != nil || n == 0 {
			return err
		}
		return s.notify(ctx, q)
	})
	return int(n), s.wrap(fmt.Sprintf("retry flood of %s", source), err)
}

// CountFlood counts the automatic posts the flood limit recorded skipped
// and not released, of the stories source carries ("" for all sources);
// see herald.Store.
func (s *Store) CountFlood(ctx context.Context, source string) (int, error) {
	var n int
	err := s.b.Reader().QueryRow(ctx, `SELECT count(*) FROM jobs WHERE state = 'skipped' AND skip_reason = ?1
		AND (?2 = '' OR article_id IN (SELECT x.article_id FROM article_sources x
			JOIN sources s ON s.id = x.source_id WHERE s.name = ?2))`, herald.SkipFlood, source).Scan(&n)
	return n, s.wrap("count flood", err)
}

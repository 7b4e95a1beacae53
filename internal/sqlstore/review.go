package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// ApproveJob makes a held job pending (with text as its own when given),
// its priority and due time unchanged.
func (s *Store) ApproveJob(ctx context.Context, id int64, text string, now time.Time) error {
	return s.updateJob(ctx, fmt.Sprintf("approve job %d", id), id, "only a held job can be approved", true,
		`UPDATE jobs SET state = 'pending', text = CASE WHEN ?1 = '' THEN text ELSE ?1 END, updated_at = ?2
		WHERE id = ?3 AND state = 'held'`, text, now.UnixMilli(), id)
}

// ApproveHeld approves every held job and returns how many.
func (s *Store) ApproveHeld(ctx context.Context, text string, now time.Time) (int, error) {
	n, err := s.updateHeld(ctx, `UPDATE jobs SET state = 'pending', text = CASE WHEN ?1 = '' THEN text ELSE ?1 END,
		updated_at = ?2 WHERE state = 'held'`, text, now.UnixMilli())
	return n, s.wrap("approve held jobs", err)
}

// RejectJob records a held job skipped as rejected.
func (s *Store) RejectJob(ctx context.Context, id int64, now time.Time) error {
	return s.updateJob(ctx, fmt.Sprintf("reject job %d", id), id, "only a held job can be rejected", false,
		`UPDATE jobs SET state = 'skipped', skip_reason = ?1, updated_at = ?2 WHERE id = ?3 AND state = 'held'`,
		herald.SkipRejected, now.UnixMilli(), id)
}

// ReleaseHeld ends the review of the jobs held since before or earlier.
func (s *Store) ReleaseHeld(ctx context.Context, before time.Time, drop bool, now time.Time) (int, error) {
	query := `UPDATE jobs SET state = 'pending', updated_at = ?1 WHERE state = 'held' AND created_at <= ?2`
	args := []any{now.UnixMilli(), before.UnixMilli()}
	if drop {
		query = `UPDATE jobs SET state = 'skipped', skip_reason = ?3, updated_at = ?1
			WHERE state = 'held' AND created_at <= ?2`
		args = append(args, herald.SkipReviewTimeout)
	}
	n, err := s.updateHeld(ctx, query, args...)
	return n, s.wrap("release held jobs", err)
}

// updateHeld runs an update of held jobs and, when it made some pending,
// tells other instances.
func (s *Store) updateHeld(ctx context.Context, query string, args ...any) (int, error) {
	var n int64
	err := s.b.Write(ctx, 0, func(q Querier) error {
		var err error
		if n, err = q.Exec(ctx, query, args...); err != nil || n == 0 {
			return err
		}
		return s.notify(ctx, q)
	})
	return int(n), err
}

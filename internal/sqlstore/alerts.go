package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// OpenAlert records cause as open unless it is.
func (s *Store) OpenAlert(ctx context.Context, cause, message string, now time.Time) error {
	_, err := s.b.Exec(ctx, `INSERT INTO alerts (cause, message, since) VALUES (?, ?, ?)
		ON CONFLICT (cause) DO NOTHING`, cause, message, now.UnixMilli())
	return s.wrap("open alert", err)
}

// RaiseAlert marks an open alert raised, once.
func (s *Store) RaiseAlert(ctx context.Context, cause string, openBefore time.Time) (bool, error) {
	n, err := s.b.Exec(ctx, `UPDATE alerts SET raised = 1 WHERE cause = ? AND raised = 0 AND since <= ?`,
		cause, openBefore.UnixMilli())
	return n == 1, s.wrap("raise alert", err)
}

// CloseAlert removes an open alert and says whether it had been raised.
func (s *Store) CloseAlert(ctx context.Context, cause string) (bool, error) {
	var raised int
	err := s.b.Write(ctx, 0, func(q Querier) error {
		return q.QueryRow(ctx, `DELETE FROM alerts WHERE cause = ? RETURNING raised`, cause).Scan(&raised)
	})
	if errors.Is(err, ErrNoRows) {
		return false, nil
	}
	return raised == 1, s.wrap("close alert", err)
}

// ListAlerts returns the open alerts, by cause.
func (s *Store) ListAlerts(ctx context.Context) ([]herald.Alert, error) {
	rows, err := s.b.Reader().Query(ctx, `SELECT cause, message, since, raised FROM alerts ORDER BY cause`)
	if err != nil {
		return nil, s.wrap("list alerts", err)
	}
	out, err := Collect(rows, func(r Row) (herald.Alert, error) {
		var a herald.Alert
		var since int64
		var raised int
		err := r.Scan(&a.Cause, &a.Message, &since, &raised)
		a.Since, a.Raised = FromMS(since), raised == 1
		return a, err
	})
	return out, s.wrap("list alerts", err)
}

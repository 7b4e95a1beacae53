package sqlite

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

var _ herald.ReplayGuard = (*DB)(nil)

// RememberSignature records an accepted webhook signature until until (see
// herald.ReplayGuard).
func (db *DB) RememberSignature(ctx context.Context, sig string, until, now time.Time) (bool, error) {
	var fresh bool
	err := db.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_signatures WHERE until < ?`, now.UnixMilli()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_signatures (sig, until) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			sig, until.UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return err
	})
	return fresh, wrap("remember signature", err)
}

// ForgetSignature forgets a webhook signature.
func (db *DB) ForgetSignature(ctx context.Context, sig string) error {
	return wrap("forget signature", db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM webhook_signatures WHERE sig = ?`, sig)
		return err
	}))
}

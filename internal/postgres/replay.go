package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
)

var _ herald.ReplayGuard = (*DB)(nil)

// RememberSignature records an accepted webhook signature until until (see
// herald.ReplayGuard). The primary key decides between instances.
func (db *DB) RememberSignature(ctx context.Context, sig string, until, now time.Time) (bool, error) {
	var fresh bool
	err := db.write(ctx, 0, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_signatures WHERE until < $1`, now.UnixMilli()); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO webhook_signatures (sig, until) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			sig, until.UnixMilli())
		fresh = tag.RowsAffected() == 1
		return err
	})
	return fresh, wrap("remember signature", err)
}

// ForgetSignature forgets a webhook signature.
func (db *DB) ForgetSignature(ctx context.Context, sig string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM webhook_signatures WHERE sig = $1`, sig)
	return wrap("forget signature", err)
}

package sqlstore

import (
	"context"
	"time"
)

// RememberSignature records an accepted webhook signature until until (see
// herald.ReplayGuard). The primary key decides between instances. It need
// not wait for the disk: the articles' durable commit follows it, and a
// record lost in a crash with them lets in only a request that saves again
// what was lost.
func (s *Store) RememberSignature(ctx context.Context, sig string, until, now time.Time) (bool, error) {
	var fresh bool
	err := s.b.Write(ctx, AsyncCommit, func(q Querier) error {
		if _, err := q.Exec(ctx, `DELETE FROM webhook_signatures WHERE until < ?`, now.UnixMilli()); err != nil {
			return err
		}
		n, err := q.Exec(ctx, `INSERT INTO webhook_signatures (sig, until) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			sig, until.UnixMilli())
		fresh = n == 1
		return err
	})
	return fresh, s.wrap("remember signature", err)
}

// ForgetSignature forgets a webhook signature.
func (s *Store) ForgetSignature(ctx context.Context, sig string) error {
	_, err := s.b.Exec(ctx, `DELETE FROM webhook_signatures WHERE sig = ?`, sig)
	return s.wrap("forget signature", err)
}

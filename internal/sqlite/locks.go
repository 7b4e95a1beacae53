package sqlite

import (
	"context"
	"errors"
)

// Unlock gives up owner's lease on the named lock, so another instance may
// take it at once; it does nothing when owner does not hold it.
func (db *DB) Unlock(ctx context.Context, name, owner string) error {
	if owner == "" {
		return errors.New("sqlite: unlock: no owner")
	}
	_, err := db.w.ExecContext(ctx, `DELETE FROM locks WHERE name = ? AND owner = ?`, name, owner)
	return wrap("unlock "+name, err)
}

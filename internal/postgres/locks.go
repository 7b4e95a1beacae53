package postgres

import (
	"context"
	"errors"
)

// Unlock gives up owner's lease on the named lock, so another instance may
// take it at once; it does nothing when owner does not hold it.
func (db *DB) Unlock(ctx context.Context, name, owner string) error {
	if owner == "" {
		return errors.New("postgres: unlock: no owner")
	}
	_, err := db.pool.Exec(ctx, `DELETE FROM locks WHERE name = $1 AND owner = $2`, name, owner)
	return wrap("unlock "+name, err)
}

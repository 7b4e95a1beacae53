package sqlite

import (
	"context"
	"database/sql"
)

// pool is one of the DB's connection pools: the single write connection or
// the read pool.
type pool struct{ *sql.DB }

// txn is a transaction on a pool.
type txn struct{ *sql.Tx }

// write runs fn in a write transaction (BEGIN IMMEDIATE on the single write
// connection, so writers of every process take turns) and commits it when fn
// returns nil; fn's error, its work rolled back, otherwise.
func (db *DB) write(ctx context.Context, fn func(tx *txn) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(&txn{tx}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/heraldhq/herald/internal/herald"
)

var _ herald.FingerprintStore = (*DB)(nil)

// LoadItemFingerprints returns a source's stored item fingerprints (nil if
// none); see herald.FingerprintStore.
func (db *DB) LoadItemFingerprints(ctx context.Context, sourceID int64) ([]byte, error) {
	var b []byte
	err := db.r.QueryRowContext(ctx, `SELECT data FROM source_fingerprints WHERE source_id = ?`, sourceID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return b, wrap(fmt.Sprintf("load item fingerprints of source %d", sourceID), err)
}

// SaveItemFingerprints replaces a source's item fingerprints.
func (db *DB) SaveItemFingerprints(ctx context.Context, sourceID int64, data []byte) error {
	err := db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO source_fingerprints (source_id, data) VALUES (?, ?)
			ON CONFLICT (source_id) DO UPDATE SET data = excluded.data`, sourceID, data)
		return err
	})
	return wrap(fmt.Sprintf("save item fingerprints of source %d", sourceID), err)
}

package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
)

var _ herald.FingerprintStore = (*DB)(nil)

// LoadItemFingerprints returns a source's stored item fingerprints (nil if
// none); see herald.FingerprintStore.
func (db *DB) LoadItemFingerprints(ctx context.Context, sourceID int64) ([]byte, error) {
	var b []byte
	err := db.pool.QueryRow(ctx, `SELECT data FROM source_fingerprints WHERE source_id = $1`, sourceID).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return b, wrap(fmt.Sprintf("load item fingerprints of source %d", sourceID), err)
}

// SaveItemFingerprints replaces a source's item fingerprints. They are a
// cache (losing them costs one whole parse of the feed's next changed
// body), so the commit does not wait for the disk, in one round trip.
func (db *DB) SaveItemFingerprints(ctx context.Context, sourceID int64, data []byte) error {
	var id int64
	err := db.asyncRow(ctx, []any{&id}, `INSERT INTO source_fingerprints (source_id, data) VALUES ($1, $2)
		ON CONFLICT (source_id) DO UPDATE SET data = excluded.data RETURNING source_id`, sourceID, data)
	return wrap(fmt.Sprintf("save item fingerprints of source %d", sourceID), err)
}

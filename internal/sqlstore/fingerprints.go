package sqlstore

import (
	"context"
	"errors"
	"fmt"
)

// LoadItemFingerprints returns a source's stored item fingerprints (nil if
// none); see herald.FingerprintStore.
func (s *Store) LoadItemFingerprints(ctx context.Context, sourceID int64) ([]byte, error) {
	var b []byte
	err := s.b.Reader().QueryRow(ctx, `SELECT data FROM source_fingerprints WHERE source_id = ?`, sourceID).Scan(&b)
	if errors.Is(err, ErrNoRows) {
		return nil, nil
	}
	return b, s.wrap(fmt.Sprintf("load item fingerprints of source %d", sourceID), err)
}

// SaveItemFingerprints replaces a source's item fingerprints. They are a
// cache (losing them costs one whole parse of the feed's next changed
// body), so the commit need not wait for the disk.
func (s *Store) SaveItemFingerprints(ctx context.Context, sourceID int64, data []byte) error {
	err := s.b.Write(ctx, AsyncCommit, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO source_fingerprints (source_id, data) VALUES (?, ?)
			ON CONFLICT (source_id) DO UPDATE SET data = excluded.data`, sourceID, data)
		return err
	})
	return s.wrap(fmt.Sprintf("save item fingerprints of source %d", sourceID), err)
}

package herald

import "context"

// FingerprintStore keeps, per source, the fingerprints of the items of the
// feed body last recorded for it, so that the next body's known items are
// neither parsed nor saved again, after a restart or on another instance
// too. The value is opaque to the store (the feed poller encodes it) and
// bounded by the size of one feed.
type FingerprintStore interface {
	// LoadItemFingerprints returns what SaveItemFingerprints last stored for
	// the source: nil if nothing.
	LoadItemFingerprints(ctx context.Context, sourceID int64) ([]byte, error)
	// SaveItemFingerprints replaces the source's fingerprints; ErrNotFound
	// when the source does not exist.
	SaveItemFingerprints(ctx context.Context, sourceID int64, data []byte) error
}

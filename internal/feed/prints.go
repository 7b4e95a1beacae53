package feed

import (
	"bytes"
	"context"

	"github.com/heraldhq/herald/internal/herald"
)

// loadPrints returns the fingerprints stored for a seeded source, and the
// store that keeps them (nil when skipKnown is false). A source's first body
// is read whole; a failure to load only costs a whole parse.
func (p *Poller) loadPrints(ctx context.Context, src herald.Source, skipKnown bool) ([]byte, herald.FingerprintStore) {
	if !skipKnown {
		return nil, nil
	}
	fs := p.store
	if !src.Seeded {
		return nil, fs
	}
	b, err := fs.LoadItemFingerprints(ctx, src.ID)
	if err != nil {
		p.log.Warn("load item fingerprints", "source", src.Name, "error", err)
		return nil, fs
	}
	return b, fs
}

// savePrints stores the fingerprints of the body just recorded, when they
// differ from what is stored. Called only once the items are recorded: a
// fingerprint stands for an item the store has.
func (p *Poller) savePrints(ctx context.Context, fs herald.FingerprintStore, src herald.Source, stored, prints []byte) {
	if fs == nil || prints == nil || bytes.Equal(stored, prints) {
		return
	}
	if err := fs.SaveItemFingerprints(ctx, src.ID, prints); err != nil {
		p.log.Warn("save item fingerprints", "source", src.Name, "error", err)
	}
}

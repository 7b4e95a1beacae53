package storetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/heraldhq/herald/internal/herald"
)

var fingerprintTests = []test{
	{"SaveAndLoad", func(t *testing.T, f *fixture) {
		fs := f.Store
		id := f.src(mexico)
		got, err := fs.LoadItemFingerprints(f.ctx, id)
		f.must(err)
		if got != nil {
			t.Fatalf("fingerprints of a new source = %x, want nil", got)
		}
		first := []byte{1, 0, 0xff, 7, 0}
		f.must(fs.SaveItemFingerprints(f.ctx, id, first))
		second := bytes.Repeat([]byte{2, 0xfe}, 5000)
		f.must(fs.SaveItemFingerprints(f.ctx, f.src(business), second))
		got, err = fs.LoadItemFingerprints(f.ctx, id)
		f.must(err)
		if !bytes.Equal(got, first) {
			t.Fatalf("loaded %x, want %x", got, first)
		}
		// Saving replaces; sources do not share.
		f.must(fs.SaveItemFingerprints(f.ctx, id, first[:2]))
		got, err = fs.LoadItemFingerprints(f.ctx, id)
		f.must(err)
		if !bytes.Equal(got, first[:2]) {
			t.Fatalf("after replacing: loaded %x, want %x", got, first[:2])
		}
		got, err = fs.LoadItemFingerprints(f.ctx, f.src(business))
		f.must(err)
		if !bytes.Equal(got, second) {
			t.Fatalf("business: loaded %d bytes, want the %d saved", len(got), len(second))
		}
		err = fs.SaveItemFingerprints(f.ctx, 1<<40, first)
		if !errors.Is(err, herald.ErrNotFound) {
			t.Errorf("SaveItemFingerprints of a missing source: %v, want ErrNotFound", err)
		}
	}},
}

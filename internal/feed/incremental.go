package feed

import (
	"encoding/binary"
	"slices"

	"github.com/cespare/xxhash/v2"
	"github.com/mmcdole/gofeed"

	"github.com/heraldhq/herald/internal/herald"
)

// A changed feed body mostly repeats items Herald has recorded. parseBody
// fingerprints every item (split.go) and gives gofeed, still the parser of
// record, only the envelope and the items whose fingerprints the source's
// last body did not have; the known ones are neither parsed nor saved again.
// The fingerprints of the body just processed replace the stored ones, so the
// set is bounded by the feed's size.

// maxPrints bounds the items whose fingerprints are kept for one source.
const maxPrints = 10_000

// printsVersion is the first byte of the stored encoding: 2 adds the
// envelope's key and the feed information gofeed read from it; a set of
// version 1 is still read (as one whose envelope is unknown).
const printsVersion = 2

// parsedBody is what a feed body holds that Herald has not recorded yet.
type parsedBody struct {
	info    FeedInfo // Items counts every item, Skipped every item without a link
	items   []herald.ArticleInput
	skipped []skippedItem // new items without a link
	// prints is what to store for the next body (nil: keep what is stored).
	prints []byte
}

// prints is a stored set of fingerprints, read in place: the mapper's base
// they hold for, the key of the body's envelope and the feed information
// gofeed read from it (version 2), and per fingerprint (sorted) the key of
// the URL the item was recorded under (0 for an item without a usable link).
type prints struct {
	base     uint64
	envelope uint64 // 0: unknown
	info     FeedInfo
	items    []byte // 16 bytes an item: fingerprint, URL key
}

// url returns the URL key of fingerprint fp, and whether the set has fp.
func (p *prints) url(fp uint64) (uint64, bool) {
	n := len(p.items) / 16
	i, j := 0, n
	for i < j {
		h := int(uint(i+j) >> 1)
		if binary.LittleEndian.Uint64(p.items[16*h:]) < fp {
			i = h + 1
		} else {
			j = h
		}
	}
	if i < n && binary.LittleEndian.Uint64(p.items[16*i:]) == fp {
		return binary.LittleEndian.Uint64(p.items[16*i+8:]), true
	}
	return 0, false
}

func (p *prints) len() int { return len(p.items) / 16 }

// mapperFor returns the mapper of a parsed feed's items.
type mapperFor func(*gofeed.Feed) *mapper

// parseBody parses a feed body fetched from the address from like parse and
// maps its items like mapper.items, leaving out the items whose fingerprints
// are in known (an encoding parseBody returned before, for the same source;
// nil for none). When every item and the envelope are those of known, gofeed
// is not called at all.
func parseBody(body []byte, contentType, from string, known []byte, mapFor mapperFor) (parsedBody, error) {
	clean, err := prepare(body, contentType)
	if err != nil {
		return parsedBody{}, err
	}
	sp, ok := splitFeed(clean)
	if !ok {
		return parseWhole(clean, mapFor)
	}
	fps := sp.fingerprints(clean)
	env := sp.envelopeKey(clean, from)
	prev := decodePrints(known)
	drop := make([]bool, len(fps))
	dropped := 0
	if prev != nil {
		for i, fp := range fps {
			if _, ok := prev.url(fp); ok {
				drop[i] = true
				dropped++
			}
		}
		if dropped == len(fps) && prev.envelope == env {
			// Nothing new, around the items either: gofeed would read
			// what it read last time.
			return knownBody(prev, fps), nil
		}
	}
	f, info, err := parsePrepared(sp.without(clean, drop))
	if err != nil && dropped > 0 {
		return parseWhole(clean, mapFor)
	}
	if err != nil {
		return parsedBody{info: info}, err
	}
	m := mapFor(f)
	if dropped > 0 && m.baseKey() != prev.base {
		// Relative links resolve against another base now: no item is known.
		clear(drop)
		dropped = 0
		if f, info, err = parsePrepared(clean); err != nil {
			return parsedBody{info: info}, err
		}
		m = mapFor(f)
	}
	if len(f.Items) != len(fps)-dropped {
		// gofeed did not take what the scan found for the items: read the
		// body as a whole and remember nothing.
		if dropped > 0 {
			return parseWhole(clean, mapFor)
		}
		return mapWhole(f, info, m), nil
	}
	return mapNew(f, info, m, m.baseKey(), env, fps, drop, prev), nil
}

// knownBody is what a body holds whose envelope and items are all those of
// the stored set prev: nothing to record, the feed information read last
// time, and the set again in the body's terms. With every item dropped,
// mapNew reads neither a parsed feed nor a mapper.
func knownBody(prev *prints, fps []uint64) parsedBody {
	drop := make([]bool, len(fps))
	for i := range drop {
		drop[i] = true
	}
	return mapNew(nil, prev.info, nil, prev.base, prev.envelope, fps, drop, prev)
}

// parseWhole parses and maps a prepared body whole, as before fingerprints.
func parseWhole(clean []byte, mapFor mapperFor) (parsedBody, error) {
	f, info, err := parsePrepared(clean)
	if err != nil {
		return parsedBody{info: info}, err
	}
	return mapWhole(f, info, mapFor(f)), nil
}

func mapWhole(f *gofeed.Feed, info FeedInfo, m *mapper) parsedBody {
	items, skipped := m.items(f)
	info.Skipped = len(skipped)
	return parsedBody{info: info, items: items, skipped: skipped}
}

// mapNew maps f's items, which are the body's items not dropped, in body
// order, with m; base and env are the keys the new set holds for. As in
// mapper.items the first item with a URL wins, known ones included: a known
// item holds its URL where it stands.
func mapNew(f *gofeed.Feed, info FeedInfo, m *mapper, base, env uint64, fps []uint64, drop []bool, prev *prints) parsedBody {
	out := parsedBody{info: info}
	if f != nil {
		out.items = make([]herald.ArticleInput, 0, len(f.Items))
	}
	out.info.Items = len(fps)
	seen := make(map[uint64]bool, len(fps))
	next := make([][2]uint64, 0, len(fps))
	knownSkipped, k := 0, 0
	for i, fp := range fps {
		if drop[i] {
			u, _ := prev.url(fp)
			if u == 0 {
				knownSkipped++
			} else {
				seen[u] = true
			}
			next = append(next, [2]uint64{fp, u})
			continue
		}
		it := f.Items[k]
		k++
		if it == nil {
			continue
		}
		in, err := m.item(it)
		if err != nil {
			out.skipped = append(out.skipped, skippedItem{Title: herald.PlainText(it.Title), Reason: err.Error()})
			next = append(next, [2]uint64{fp, 0})
			continue
		}
		u := urlKey(in.URL)
		if seen[u] {
			continue // not remembered: which copy wins depends on the order
		}
		seen[u] = true
		out.items = append(out.items, in)
		next = append(next, [2]uint64{fp, u})
	}
	out.info.Skipped = len(out.skipped) + knownSkipped
	out.prints = encodePrints(base, env, info, next)
	return out
}

// baseKey identifies the base the mapper resolves relative links against.
func (m *mapper) baseKey() uint64 {
	if m.base == nil {
		return 0
	}
	return xxhash.Sum64String(m.base.String())
}

func urlKey(u string) uint64 {
	return max(xxhash.Sum64String(u), 1) // 0 means "no URL"
}

// encodePrints writes a set sorted by fingerprint, so that the same items in
// another order encode the same, with the envelope's key and the feed
// information read from it (its counts left out: they are the body's).
func encodePrints(base, envelope uint64, info FeedInfo, items [][2]uint64) []byte {
	slices.SortFunc(items, func(a, b [2]uint64) int {
		switch {
		case a[0] < b[0]:
			return -1
		case a[0] > b[0]:
			return 1
		}
		return 0
	})
	items = slices.CompactFunc(items, func(a, b [2]uint64) bool { return a[0] == b[0] })
	items = items[:min(len(items), maxPrints)]
	out := make([]byte, 17, 17+16*len(items)+64)
	out[0] = printsVersion
	binary.LittleEndian.PutUint64(out[1:], base)
	binary.LittleEndian.PutUint64(out[9:], envelope)
	for _, f := range infoFields(&info) {
		out = binary.AppendUvarint(out, uint64(len(*f)))
		out = append(out, *f...)
	}
	for _, it := range items {
		out = binary.LittleEndian.AppendUint64(out, it[0])
		out = binary.LittleEndian.AppendUint64(out, it[1])
	}
	return out
}

// infoFields are the feed information fields a set keeps, in their order.
func infoFields(info *FeedInfo) []*string {
	return []*string{&info.Title, &info.Link, &info.Format, &info.HubURL, &info.SelfURL}
}

// decodePrints reads what encodePrints wrote (or version 1 of it); nil for
// nothing or anything else.
func decodePrints(b []byte) *prints {
	if len(b) < 9 {
		return nil
	}
	p := &prints{base: binary.LittleEndian.Uint64(b[1:])}
	switch b[0] {
	case 1:
		b = b[9:]
	case printsVersion:
		if len(b) < 17 {
			return nil
		}
		p.envelope = binary.LittleEndian.Uint64(b[9:])
		b = b[17:]
		for _, f := range infoFields(&p.info) {
			n, k := binary.Uvarint(b)
			if k <= 0 || n > uint64(len(b)-k) {
				return nil
			}
			*f, b = string(b[k:k+int(n)]), b[k+int(n):]
		}
	default:
		return nil
	}
	if len(b)%16 != 0 {
		return nil
	}
	p.items = b
	return p
}

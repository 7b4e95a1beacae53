package feed

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// A feed body is split into its envelope and its items so that only the items
// not seen before go to gofeed (see incremental.go). The split is a byte scan,
// not a parser: it only has to find where each item starts and ends, and it
// gives up (the body then goes to gofeed whole) on anything it cannot prove
// it reads as encoding/xml or encoding/json would: a DTD, a processing
// instruction inside the document, an encoding other than UTF-8, control
// characters, unquoted or '<'-bearing attributes, mismatched tags, an item
// element spelt with another case or prefix, two channels, items both in and
// out of the channel, an unknown root.

// split is where a body's items are, in the order gofeed returns them.
type split struct {
	items []span
	// ctx hashes what around the items changes what they mean: the kind of
	// document and the start tags of their ancestors (namespace declarations,
	// xml:base, a default namespace).
	ctx  uint64
	json bool
}

// Document kinds, part of the context.
const (
	ctxRSS uint64 = iota + 1
	ctxAtom
	ctxJSON
)

// span is a byte range [start, end) of a body.
type span struct{ start, end int }

// fingerprints returns each item's fingerprint: its raw bytes in its context.
func (s *split) fingerprints(body []byte) []uint64 {
	out := make([]uint64, len(s.items))
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:8], s.ctx)
	for i, sp := range s.items {
		binary.LittleEndian.PutUint64(buf[8:], xxhash.Sum64(body[sp.start:sp.end]))
		out[i] = xxhash.Sum64(buf[:])
	}
	return out
}

// envelopeKey hashes what of body is not an item (the document around and
// between the items) with the address it came from, which the mapper may
// resolve relative links against. It is never 0.
func (s *split) envelopeKey(body []byte, from string) uint64 {
	d := xxhash.New()
	d.WriteString(from)
	d.Write([]byte{0})
	last := 0
	for _, sp := range s.items {
		d.Write(body[last:sp.start])
		last = sp.end
	}
	d.Write(body[last:])
	return max(d.Sum64(), 1)
}

// without returns body with the items for which drop is true cut out (body
// itself when none is).
func (s *split) without(body []byte, drop []bool) []byte {
	n := 0
	for _, d := range drop {
		if d {
			n++
		}
	}
	if n == 0 {
		return body
	}
	size := len(body)
	for i, sp := range s.items {
		if drop[i] {
			size -= sp.end - sp.start
		}
	}
	out := make([]byte, 0, size+len(s.items))
	last := 0
	if !s.json {
		for i, sp := range s.items {
			if drop[i] {
				out = append(out, body[last:sp.start]...)
				last = sp.end
			}
		}
		return append(out, body[last:]...)
	}
	// JSON: the array is written again with the kept elements, comma-separated.
	if len(s.items) == 0 {
		return body
	}
	open := bytes.LastIndexByte(body[:s.items[0].start], '[')
	out = append(out, body[:open+1]...)
	first := true
	for i, sp := range s.items {
		if drop[i] {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(out, body[sp.start:sp.end]...)
	}
	end := s.items[len(s.items)-1].end
	closing := end + bytes.IndexByte(body[end:], ']')
	return append(out, body[closing:]...)
}

// splitFeed finds the items of a body that toUTF8 has settled; ok is false
// when it cannot do so safely.
func splitFeed(body []byte) (split, bool) {
	if !utf8.Valid(body) {
		return split{}, false
	}
	if hasControl(body) {
		// gofeed drops these bytes before parsing; a scan that saw them
		// would read another document.
		return split{}, false
	}
	i := skipSpace(body, 0)
	if i < len(body) && body[i] == '{' {
		return splitJSON(body, i)
	}
	x := xmlScan{b: body, i: i}
	return x.split()
}

// hasControl reports whether b holds a C0 control byte other than tab, LF
// and CR. Eight bytes at a time: most bodies have none but line ends.
func hasControl(b []byte) bool {
	const ones, highs, spaces = 0x0101010101010101, 0x8080808080808080, 0x2020202020202020
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if (x-spaces)&^x&highs == 0 {
			continue // no byte below 0x20 in these eight
		}
		for _, c := range b[i : i+8] {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return true
			}
		}
	}
	for _, c := range b[i:] {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

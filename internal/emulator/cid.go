package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"strings"
)

// Multicodec codes of the CIDs a PDS makes: raw for blobs, dag-cbor for
// records and commits.
const (
	codecRaw     = 0x55
	codecDagCBOR = 0x71
	mhSHA256     = 0x12
)

var cidBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// cidV1 returns the CIDv1 of data with codec and a sha2-256 multihash, in
// base32 lower case with multibase prefix "b", as a PDS writes blob refs
// ("bafkrei…" for a raw blob).
func cidV1(codec uint64, data []byte) string {
	sum := sha256.Sum256(data)
	b := binary.AppendUvarint(nil, 1)
	b = binary.AppendUvarint(b, codec)
	b = binary.AppendUvarint(b, mhSHA256)
	b = binary.AppendUvarint(b, uint64(len(sum)))
	b = append(b, sum[:]...)
	return "b" + strings.ToLower(cidBase32.EncodeToString(b))
}

// parseCID reads a base32 CIDv1 with a sha2-256 multihash and returns its
// codec and digest.
func parseCID(s string) (codec uint64, digest []byte, err error) {
	rest, ok := strings.CutPrefix(s, "b")
	if !ok {
		return 0, nil, errors.New("not a base32 (b) multibase CID")
	}
	raw, err := cidBase32.DecodeString(strings.ToUpper(rest))
	if err != nil {
		return 0, nil, errors.New("invalid base32")
	}
	r := bytes.NewReader(raw)
	version, err1 := binary.ReadUvarint(r)
	codec, err2 := binary.ReadUvarint(r)
	hash, err3 := binary.ReadUvarint(r)
	size, err4 := binary.ReadUvarint(r)
	if err := errors.Join(err1, err2, err3, err4); err != nil || version != 1 {
		return 0, nil, errors.New("not a CIDv1")
	}
	if hash != mhSHA256 || size != sha256.Size || r.Len() != sha256.Size {
		return 0, nil, errors.New("not a sha2-256 multihash")
	}
	return codec, raw[len(raw)-sha256.Size:], nil
}

package emulator

import (
	"crypto/sha256"
	"testing"
)

// TestCIDv1 checks the blob CIDs against known CIDs of the IPFS tools (raw
// codec, sha2-256, base32) and that they parse back.
func TestCIDv1(t *testing.T) {
	for data, want := range map[string]string{
		"":            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
		"hello world": "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
	} {
		got := cidV1(codecRaw, []byte(data))
		if got != want {
			t.Errorf("cid(%q) = %s, want %s", data, got, want)
		}
		codec, digest, err := parseCID(got)
		sum := sha256.Sum256([]byte(data))
		if err != nil || codec != codecRaw || string(digest) != string(sum[:]) {
			t.Errorf("parse %s: %x %x %v", got, codec, digest, err)
		}
	}
	for _, bad := range []string{"", "Qmabc", "bafkrei", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk", "b!!"} {
		if _, _, err := parseCID(bad); err == nil {
			t.Errorf("parseCID(%q) accepted", bad)
		}
	}
}

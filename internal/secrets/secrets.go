// Package secrets keeps the credentials Herald stores itself (OAuth 2.0
// tokens, Bluesky sessions, WebSub secrets) encrypted at rest with AES-256-GCM
// when a key is configured (HERALD_SECRET_KEY or secrets.key_file). Store
// wraps any herald.Store; SealAll encrypts the rows written before a key was
// set.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// prefix marks a sealed value: version 1 is AES-256-GCM, a 12-byte nonce
// and the ciphertext, base64 (raw URL alphabet).
const prefix = "enc:v1:"

// KeySize is the key's length in bytes.
const KeySize = 32

// ErrNoKey is opening a sealed value without a key.
var ErrNoKey = errors.New("secrets: the stored value is encrypted and no key is set (HERALD_SECRET_KEY or secrets.key_file)")

// ParseKey reads a key written as 32 bytes in base64 (standard or URL
// alphabet, padded or not) or as 64 hex digits: `openssl rand -base64 32`.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("must be %d random bytes in base64 or hex (openssl rand -base64 32)", KeySize)
}

// Sealer encrypts and decrypts stored secrets. A nil *Sealer stores them as
// they are and refuses to open a sealed one.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a key from ParseKey.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: key must be %d bytes", KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Sealed reports whether v is a sealed value.
func Sealed(v string) bool { return strings.HasPrefix(v, prefix) }

// Seal encrypts plain; field (what the value is: "access_token", …) is
// authenticated with it, so a value cannot be moved to another field. An
// empty value, a sealed one, and any value without a key stay as they are.
func (s *Sealer) Seal(field, plain string) string {
	if s == nil || plain == "" || Sealed(plain) {
		return plain
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := s.aead.Seal(nonce, nonce, []byte(plain), []byte(field))
	return prefix + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a sealed value; a plaintext one (stored before a key was
// set) is returned as it is.
func (s *Sealer) Open(field, v string) (string, error) {
	if !Sealed(v) {
		return v, nil
	}
	if s == nil {
		return "", ErrNoKey
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(v, prefix))
	n := s.aead.NonceSize()
	if err != nil || len(raw) < n {
		return "", fmt.Errorf("secrets: stored %s is not a sealed value", field)
	}
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(field))
	if err != nil {
		return "", fmt.Errorf("secrets: stored %s does not open with this key (was it sealed with another?)", field)
	}
	return string(plain), nil
}

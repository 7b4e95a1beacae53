package config

import (
	"fmt"
	"os"

	"github.com/heraldhq/herald/internal/secrets"
)

// SecretKeyEnv is the environment variable that holds the key sealing the
// credentials Herald stores (secrets.key).
const SecretKeyEnv = "HERALD_SECRET_KEY"

// Secrets holds the key that encrypts the tokens and secrets Herald stores
// in its database (OAuth 2.0 tokens, Bluesky sessions, WebSub secrets).
type Secrets struct {
	// Key is 32 random bytes in base64 or hex (HERALD_SECRET_KEY).
	Key string `mapstructure:"key" secret:"true"` // secret
	// KeyFile is a file holding the key, for secret stores mounted as files.
	KeyFile string `mapstructure:"key_file"`
}

// SecretKey returns the key that seals stored credentials, from
// secrets.key or secrets.key_file; nil when neither is set. Errors name the
// key at fault.
func (c *Config) SecretKey() ([]byte, error) {
	key, k, err := c.secretKey()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return k, nil
}

// secretKey returns the key and, on error, the configuration key at fault.
func (c *Config) secretKey() (string, []byte, error) {
	s := c.Secrets
	switch {
	case s.Key != "" && s.KeyFile != "":
		return "secrets.key_file", nil, fmt.Errorf("set either it or secrets.key (%s), not both", SecretKeyEnv)
	case s.Key != "":
		k, err := secrets.ParseKey(s.Key)
		if err != nil {
			return "secrets.key", nil, fmt.Errorf("%w (from %s or the file)", err, SecretKeyEnv)
		}
		return "", k, nil
	case s.KeyFile != "":
		b, err := os.ReadFile(s.KeyFile)
		if err != nil {
			return "secrets.key_file", nil, err
		}
		k, err := secrets.ParseKey(string(b))
		return "secrets.key_file", k, err
	}
	return "", nil, nil
}

func (c *Config) validateSecrets(ch *checker) {
	if key, _, err := c.secretKey(); err != nil {
		ch.add(key, "%s", err)
	}
}

package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretKey(t *testing.T) {
	clearEnv(t)
	const key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	t.Setenv("HERALD_SECRET_KEY", key)
	cfg, err := Load(writeConfig(t, envBase), nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := cfg.SecretKey(); err != nil || len(k) != 32 {
		t.Fatalf("SecretKey = %d bytes, %v", len(k), err)
	}
	if r := cfg.Redacted(); r.Secrets.Key != Masked {
		t.Errorf("redacted key = %q", r.Secrets.Key)
	}

	t.Setenv("HERALD_SECRET_KEY", "hunter2")
	cfg, err = Load(writeConfig(t, envBase), nil)
	if err != nil {
		t.Fatal(err)
	}
	var ve *ValidationError
	if err := cfg.Validate(); !errors.As(err, &ve) || !ve.Has("secrets.key") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad key: %v", err)
	}

	clearEnv(t)
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load(writeConfig(t, envBase+"secrets: {key_file: "+file+"}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := cfg.SecretKey(); err != nil || len(k) != 32 {
		t.Fatalf("key_file: %d bytes, %v", len(k), err)
	}
	cfg.Secrets.KeyFile = file + ".missing"
	if err := cfg.Validate(); !errors.As(err, &ve) || !ve.Has("secrets.key_file") {
		t.Errorf("missing key file: %v", err)
	}
	cfg.Secrets = Secrets{}
	if k, err := cfg.SecretKey(); k != nil || err != nil {
		t.Errorf("no key: %v %v", k, err)
	}
}

package sqlstore

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                     `SELECT 1`,
		`a = ? AND b = ?`:              `a = $1 AND b = $2`,
		`a = ?1 OR b = ?1 AND c = ?12`: `a = $1 OR b = $1 AND c = $12`,
		`x = '?' AND y = ?`:            `x = '?' AND y = $1`,
		`x = 'it''s ?' AND y = ?`:      `x = 'it''s ?' AND y = $1`,
	} {
		if got := Rebind(in); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSharedMigrations: a store's file that names a shared migration
// applies it; any other file applies its own SQL; a name that is not there
// is an error, not an empty migration.
func TestSharedMigrations(t *testing.T) {
	names, err := fs.Glob(shared, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("shared migrations: %v, %v", names, err)
	}
	for _, name := range names {
		want, _ := fs.ReadFile(shared, name)
		got, err := migrationSQL([]byte(sharedPrefix + strings.TrimPrefix(name, "migrations/") + "\n"))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes (%v), want the shared file's %d", name, len(got), err, len(want))
		}
	}
	own := []byte("-- shared: not a directive on its own\nCREATE TABLE t (x INTEGER);\n")
	if got, err := migrationSQL(own); err != nil || !bytes.Equal(got, own) {
		t.Errorf("own SQL: got %q, %v", got, err)
	}
	if _, err := migrationSQL([]byte(sharedPrefix + "missing.sql")); err == nil {
		t.Error("a missing shared migration applied without an error")
	}
}

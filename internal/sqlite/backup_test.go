package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackupAndRestoreRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if err := Backup(ctx, missing, filepath.Join(dir, "copy.db")); err == nil {
		t.Error("backup of a missing database succeeded")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("backup created the database it was asked to copy: %v", err)
	}

	path := filepath.Join(dir, "herald.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := Restore(ctx, path, path); err == nil || !strings.Contains(err.Error(), "is the database itself") {
		t.Errorf("restore onto itself: %v", err)
	}
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("not a database at all, just text that is long enough to have a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Restore(ctx, junk, path); err == nil {
		t.Error("restore of a file that is no database succeeded")
	}
	// A backup restores over the database it came from.
	copyPath := filepath.Join(dir, "copy.db")
	if err := Backup(ctx, path, copyPath); err != nil {
		t.Fatal(err)
	}
	if err := Restore(ctx, copyPath, path); err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("the restored database does not open as Herald's: %v", err)
	}
}

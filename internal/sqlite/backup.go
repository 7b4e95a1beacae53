package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Backup writes a consistent copy of the SQLite database at src to dst
// while other processes (a running daemon) go on reading and writing it:
// VACUUM INTO reads the database in one read transaction, which WAL mode
// lets run beside the writer, so the copy holds exactly what was committed
// when it began. The copy is written beside dst and renamed into place,
// so dst is either the old file or a whole copy; an existing dst is
// replaced. src must exist: Backup never creates a database.
func Backup(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	os.Remove(tmpPath) // VACUUM INTO wants a file that does not exist
	defer os.Remove(tmpPath)

	db, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout("+
		strconv.FormatInt(BusyTimeout.Milliseconds(), 10)+")")
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmpPath); err != nil {
		return fmt.Errorf("sqlite: backup %s: %w", src, err)
	}
	if err := os.Rename(tmpPath, dst); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return nil
}

// Restore replaces the database at dst with the copy at src (a file
// Backup wrote), after checking that src is a sound SQLite database. No
// process may be using dst: its write-ahead log, which belongs to the old
// file, is removed with it. The new file is renamed into place.
func Restore(ctx context.Context, src, dst string) error {
	if err := check(ctx, src); err != nil {
		return err
	}
	if same, err := sameFile(src, dst); err != nil || same {
		return errors.Join(err, fmt.Errorf("sqlite: restore: %s is the database itself", src))
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	defer os.Remove(tmp.Name())
	in, err := os.Open(src)
	if err != nil {
		tmp.Close()
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	_, err = in.WriteTo(tmp)
	in.Close()
	if err = errors.Join(err, tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dst + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sqlite: restore: %w", err)
		}
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	return nil
}

// check opens the database at path read-only and runs a quick integrity check.
func check(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return fmt.Errorf("sqlite: restore: %s is not a SQLite database: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("sqlite: restore: %s is damaged: %s", path, res)
	}
	return nil
}

// sameFile reports whether a and b are one file (false when b does not exist).
func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

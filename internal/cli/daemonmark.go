package cli

import (
	"fmt"
	"os"
	"strings"
)

// A daemon using a SQLite database says so with a marker file beside it,
// PATH.daemon, on which each `herald run` holds a shared lock (flock) for
// as long as it runs: several daemons may share one file, the lock goes
// with the process however it ends (kill -9 included), and another command
// learns whether the database is in use by trying to take the lock
// exclusively. `herald status` matches the daemon to the database this way
// rather than trusting whatever answers on http.addr; `store copy` and
// `store restore` refuse a database in use.

// sqlitePath returns the file of a sqlite: database URL (false for any other).
func sqlitePath(dbURL string) (string, bool) {
	p, ok := strings.CutPrefix(dbURL, "sqlite:")
	return p, ok && p != ""
}

// daemonMarker is the marker file of the SQLite database at path.
func daemonMarker(path string) string { return path + ".daemon" }

// markDaemon records that this process is a daemon using the database
// dbURL until release is called (or the process ends). For a database
// other than SQLite it does nothing.
func markDaemon(dbURL string) (release func(), err error) {
	path, ok := sqlitePath(dbURL)
	if !ok {
		return func() {}, nil
	}
	f, err := os.OpenFile(daemonMarker(path), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("mark the database in use: %w", err)
	}
	if err := lockShared(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("mark the database in use: %w", err)
	}
	return func() { f.Close() }, nil
}

// daemonUses reports whether a daemon (herald run) is using the SQLite
// database at path now. known is false when that cannot be told (not
// SQLite, or a system without file locks).
func daemonUses(dbURL string) (inUse, known bool, err error) {
	path, ok := sqlitePath(dbURL)
	if !ok {
		return false, false, nil
	}
	f, err := os.Open(daemonMarker(path))
	if os.IsNotExist(err) {
		return false, true, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("is the database in use: %w", err)
	}
	defer f.Close()
	free, known, err := tryLockExclusive(f)
	if err != nil {
		return false, false, fmt.Errorf("is the database in use: %w", err)
	}
	return !free && known, known, nil
}

// refuseInUse fails when a daemon uses the SQLite database dbURL; what
// says what is refused ("copy from", "restore into").
func refuseInUse(dbURL, what string) error {
	inUse, _, err := daemonUses(dbURL)
	if err != nil {
		return err
	}
	if inUse {
		return fmt.Errorf("will not %s %s: a daemon (herald run) is using it; stop it first", what, dbURL)
	}
	return nil
}

package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// shared holds the migrations whose SQL is the same in both dialects (a
// BIGINT column has SQLite's INTEGER affinity). A store's migration file
// whose only line is "-- shared: NAME" applies migrations/NAME of it, under
// the store's own version.
//
//go:embed migrations/*.sql
var shared embed.FS

const sharedPrefix = "-- shared: "

// migrationSQL is what a migration file's body applies: its own SQL, or the
// shared migration it names.
func migrationSQL(body []byte) ([]byte, error) {
	line := strings.TrimSpace(string(body))
	name, ok := strings.CutPrefix(line, sharedPrefix)
	if !ok || strings.Contains(name, "\n") {
		return body, nil
	}
	b, err := fs.ReadFile(shared, "migrations/"+name)
	if err != nil {
		return nil, fmt.Errorf("shared migration: %w", err)
	}
	return b, nil
}

// Migration is one schema migration file, NNNN_name.sql.
type Migration struct {
	Version int
	Name    string // the file's name
}

// MigrationFiles lists the migrations in dir of fsys in version order.
func MigrationFiles(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version and '_'", e.Name())
		}
		ms = append(ms, Migration{Version: v, Name: e.Name()})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share a version", ms[i-1].Name, ms[i].Name)
		}
	}
	return ms, nil
}

// ApplyMigration applies m, read from dir in fsys, inside q's transaction,
// unless it is applied already.
func ApplyMigration(ctx context.Context, q Querier, fsys fs.FS, dir string, m Migration) error {
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(fsys, dir+"/"+m.Name)
	if err == nil {
		body, err = migrationSQL(body)
	}
	if err != nil {
		return err
	}
	if _, err := q.Exec(ctx, string(body)); err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UnixMilli())
	return err
}

// CheckNotNewer refuses a database whose highest applied migration, applied,
// is unknown to this binary (files are its migrations, in version order).
func CheckNotNewer(applied int, files []Migration) error {
	known := 0
	if len(files) > 0 {
		known = files[len(files)-1].Version
	}
	return herald.CheckSchema(applied, known)
}

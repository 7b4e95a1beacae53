package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/postgres/pgtest"
)

// newestMigration is the highest migration version in dir.
func newestMigration(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	top := 0
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		if v, err := strconv.Atoi(num); err == nil && v > top {
			top = v
		}
	}
	return top
}

// TestDatabaseNewerThanBinary: a database migrated by a newer Herald (a
// migration this binary does not know) is refused by run and by migrate,
// with exit status 1, naming both schema versions.
func TestDatabaseNewerThanBinary(t *testing.T) {
	t.Parallel()
	needBinary(t)
	type backend struct {
		name, url, migrations string
		plant                 func(t *testing.T)
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "herald.db")
	backends := []backend{{name: "sqlite", url: "sqlite:" + dbPath, migrations: "../sqlite/migrations", plant: func(t *testing.T) {
		db, err := sql.Open("sqlite", dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)`); err != nil {
			t.Fatal(err)
		}
	}}}
	if os.Getenv(pgtest.EnvURL) != "" {
		pgURL := pgSchema(t)
		backends = append(backends, backend{name: "postgres", url: pgURL, migrations: "../postgres/migrations", plant: func(t *testing.T) {
			conn, err := pgx.Connect(context.Background(), pgURL)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(context.Background(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)`); err != nil {
				t.Fatal(err)
			}
		}})
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			herald := func(args ...string) (int, string) {
				// A binary that runs on the newer database does not exit: stop it.
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, heraldBinary.Path(t), args...)
				cmd.Dir = dir
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "HERALD_DATABASE_URL=" + b.url,
					"HERALD_HTTP_ADDR=127.0.0.1:0", "HERALD_CONFIG=" + filepath.Join(repoRoot(), "configs", "herald.yaml")}
				out, _ := cmd.CombinedOutput()
				return cmd.ProcessState.ExitCode(), string(out)
			}
			if code, out := herald("migrate"); code != 0 {
				t.Fatalf("migrate: exit %d\n%s", code, out)
			}
			b.plant(t)
			want := fmt.Sprintf("schema is at version 999 but this binary knows versions up to %d", newestMigration(t, b.migrations))
			for _, args := range [][]string{{"migrate"}, {"run"}} {
				code, out := herald(args...)
				if code != 1 || !strings.Contains(out, want) {
					t.Errorf("herald %s: exit %d, want 1 saying %q:\n%s", args[0], code, want, out)
				}
			}
		})
	}
}

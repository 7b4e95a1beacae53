package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) herald.Store {
		return openTest(t, newSchema(t))
	})
}

// serverURL returns HERALD_TEST_POSTGRES_URL or skips the test.
func serverURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("HERALD_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("HERALD_TEST_POSTGRES_URL not set; skipping PostgreSQL tests")
	}
	return u
}

// newSchema returns the URL of a schema of its own for the test (created by
// Migrate on first use), dropped when the test ends.
func newSchema(t testing.TB) string {
	t.Helper()
	base := serverURL(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "herald_test_" + hex.EncodeToString(b[:])
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("HERALD_TEST_POSTGRES_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return u.String()
}

// openTest opens and migrates the database at dsn, closed when the test
// ends (before its schema is dropped).
func openTest(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

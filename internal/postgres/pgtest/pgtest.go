// Package pgtest gives tests a PostgreSQL schema of their own on the server
// named by HERALD_TEST_POSTGRES_URL, and skips them when it is unset.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL is the variable that names the test server.
const EnvURL = "HERALD_TEST_POSTGRES_URL"

// ServerURL returns the test server's URL, or skips the test saying why.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		t.Skip(EnvURL + " not set; skipping PostgreSQL tests")
	}
	return u
}

// Schema returns the server's URL with search_path set to a new schema named
// prefix + random hex (Herald's Migrate creates it on first use), dropped
// with everything in it when the test ends.
func Schema(t testing.TB, prefix string) string {
	t.Helper()
	base := ServerURL(t)
	var b [6]byte
	rand.Read(b[:])
	schema := prefix + hex.EncodeToString(b[:])
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
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

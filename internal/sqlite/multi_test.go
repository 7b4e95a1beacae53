package sqlite_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
)

// TestSharedFile runs claimers and writers on two handles of one file, as
// the daemon and the CLI do: writes queue on the busy timeout instead of
// failing, and no job is handed out twice.
func TestSharedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "herald.db")
	var dbs []*sqlite.DB
	for range 2 {
		db, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(t.Context()); err != nil { // both migrate: the second finds nothing to do
			t.Fatal(err)
		}
		dbs = append(dbs, db)
	}
	ctx := t.Context()
	accounts := []herald.Account{{ID: "x", Network: herald.Twitter}, {ID: "fb", Network: herald.Facebook}}
	if err := dbs[0].SyncAccounts(ctx, accounts); err != nil {
		t.Fatal(err)
	}
	if err := dbs[1].SyncSources(ctx, []herald.SourceSpec{{Name: "news", URL: "https://example.com/rss"}}); err != nil {
		t.Fatal(err)
	}
	src, err := dbs[0].GetSource(ctx, "news")
	if err != nil {
		t.Fatal(err)
	}
	const stories = 100
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	claimed := map[int64]string{}
	var wg sync.WaitGroup
	written := make(chan struct{})
	// One writer adds stories while six claimers, three per handle, send.
	wg.Go(func() {
		defer close(written)
		for i := range stories / 10 {
			items := make([]herald.ArticleInput, 10)
			for k := range items {
				items[k] = herald.ArticleInput{URL: fmt.Sprintf("https://example.com/%d", i*10+k), Title: "T",
					Announce: true, Targets: []string{"x", "fb"}}
			}
			if _, err := dbs[1].SaveArticles(ctx, src.ID, items, now); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for g := range 6 {
		db, owner := dbs[g%2], fmt.Sprintf("owner-%d", g)
		wg.Go(func() {
			sendAll(t, db, owner, now, written, func(id int64) {
				mu.Lock()
				defer mu.Unlock()
				if prev, dup := claimed[id]; dup {
					t.Errorf("job %d claimed by %s and %s", id, prev, owner)
				}
				claimed[id] = owner
			})
		})
	}
	wg.Wait()
	counts, err := dbs[0].CountJobs(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if counts[herald.JobSent] != 2*stories || len(claimed) != 2*stories {
		t.Errorf("sent %d jobs, claimed %d, want %d", counts[herald.JobSent], len(claimed), 2*stories)
	}
}

// sendAll claims and sends jobs until none is left once written is closed,
// calling claimed for each job it claims.
func sendAll(t *testing.T, db *sqlite.DB, owner string, now time.Time, written <-chan struct{}, claimed func(int64)) {
	ctx := t.Context()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		js, err := db.ClaimJobs(ctx, herald.ClaimOptions{Owner: owner, Now: now, Lease: time.Minute,
			Accounts: map[string]time.Duration{"x": 0, "fb": 0}, PerAccount: 2, Limit: 3})
		if err != nil {
			t.Error(err)
			return
		}
		if len(js) == 0 {
			select {
			case <-written:
				return
			case <-time.After(time.Millisecond): // the writer is still adding stories
			}
			continue
		}
		for _, j := range js {
			claimed(j.ID)
			if err := db.StartAttempt(ctx, j.ID, owner, now, time.Minute); err != nil {
				t.Error(err)
			}
			if err := db.FinishJob(ctx, j.ID, owner, herald.Outcome{State: herald.JobSent,
				RemoteID: fmt.Sprint(j.ID), Attempted: true}, now); err != nil {
				t.Error(err)
			}
		}
	}
	t.Errorf("%s: still claiming after 30 s", owner)
}

func TestOpenRejectsURIs(t *testing.T) {
	for _, p := range []string{"", "file.db?mode=ro", "a#b"} {
		if db, err := sqlite.Open(t.Context(), p); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestMigrateRecordsVersion(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(t.Context()); err != nil || v != 0 {
		t.Fatalf("version before migrating = %d, %v", v, err)
	}
	if _, err := db.ListSources(t.Context()); err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Errorf("ListSources before migrating: %v", err)
	}
	for range 2 {
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := db.SchemaVersion(t.Context()); err != nil || v != len(files) {
		t.Errorf("version = %d, %v; want %d", v, err, len(files))
	}
}

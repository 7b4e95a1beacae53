package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

// TestGroupedSaveMatchesOneByOne saves random batches (URLs and GUIDs drawn
// from small pools, so that items of a batch share them, move URLs, change
// GUIDs and meet the stories of other sources) twice: with the grouped
// statements SaveArticles uses, and item by item. Results and every table
// SaveArticles writes must come out the same.
func TestGroupedSaveMatchesOneByOne(t *testing.T) {
	seeds := uint64(24)
	if testing.Short() {
		seeds = 6
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			compareSaves(t, seed)
		})
	}
}

func compareSaves(t *testing.T, seed uint64) {
	ctx := t.Context()
	grouped, single := openGroupTest(t, "grouped"), openGroupTest(t, "single")
	rnd := rand.New(rand.NewPCG(seed, 7))
	nURL, nGUID := 3+rnd.IntN(40), 2+rnd.IntN(30)
	base := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for call := range 30 {
		src := int64(1 + rnd.IntN(3))
		now := base.Add(time.Duration(call) * time.Minute)
		items := make([]herald.ArticleInput, rnd.IntN(70))
		for i := range items {
			it := &items[i]
			it.URL = fmt.Sprintf("https://news.example/story-%d", rnd.IntN(nURL))
			if rnd.IntN(4) > 0 {
				it.GUID = fmt.Sprintf("g%d", rnd.IntN(nGUID))
			}
			it.Title = []string{"", "Title A", "Title B"}[rnd.IntN(3)]
			it.Summary = []string{"", "Summary"}[rnd.IntN(2)]
			it.Author = []string{"", "Ana"}[rnd.IntN(2)]
			if rnd.IntN(3) == 0 {
				it.Categories = []string{"local", []string{"politics", "sport"}[rnd.IntN(2)]}
			}
			if rnd.IntN(4) > 0 {
				it.PublishedAt = base.Add(-time.Duration(rnd.IntN(600)) * time.Minute)
			}
			it.Announce = rnd.IntN(2) == 0
			it.Stale = rnd.IntN(8) == 0
			it.Targets = [][]string{nil, {"x_main"}, {"x_main", "fb_page", "x_main"}}[rnd.IntN(3)]
			it.Priority = herald.Priority(rnd.IntN(2))
		}
		want, err := single.saveArticles(ctx, src, items, now, false)
		if err != nil {
			t.Fatalf("call %d one by one: %v", call, err)
		}
		got, err := grouped.saveArticles(ctx, src, items, now, true)
		if err != nil {
			t.Fatalf("call %d grouped: %v", call, err)
		}
		if !reflect.DeepEqual(got, want) {
			for i := range want {
				if i < len(got) && !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("call %d item %d (%+v):\ngrouped    %+v\none by one %+v", call, i, items[i], got[i], want[i])
				}
			}
			t.Fatalf("call %d: results differ", call)
		}
	}
	for _, q := range []string{
		`SELECT ` + sqlstore.ArticleCols + ` FROM articles a ORDER BY id`,
		`SELECT url, article_id FROM article_urls ORDER BY url`,
		`SELECT article_id, source_id, guid, first_seen_at FROM article_sources ORDER BY article_id, source_id`,
		`SELECT id, article_id, account_id, network, seq, kind, state, priority, published_at, scheduled_at,
			next_attempt_at, created_at FROM jobs ORDER BY id`,
		`SELECT id, article_count FROM sources ORDER BY id`,
		`SELECT id, network FROM accounts ORDER BY id`,
	} {
		g, s := dump(t, grouped, q), dump(t, single, q)
		if g != s {
			t.Errorf("%s\ngrouped:\n%s\none by one:\n%s", q, g, s)
		}
	}
}

func openGroupTest(t *testing.T, name string) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), name+".db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := t.Context()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncSources(ctx, []herald.SourceSpec{{Name: "a", URL: "https://a.example/rss"},
		{Name: "b", URL: "https://b.example/rss"}, {Name: "c", URL: "https://c.example/rss"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncAccounts(ctx, []herald.Account{{ID: "x_main", Network: herald.Twitter}}); err != nil {
		t.Fatal(err)
	}
	return db
}

// dump renders a query's rows, one a line.
func dump(t *testing.T, db *DB, query string) string {
	t.Helper()
	rows, err := db.r.DB.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestGroupSizes checks how a call's items are split.
func TestGroupSizes(t *testing.T) {
	for n, want := range map[int][]int{0: nil, 1: {1}, 3: {2, 1}, 50: {32, 16, 2}, 64: {64}, 150: {64, 64, 16, 4, 2}} {
		if got := groupSizes(n); !reflect.DeepEqual(got, want) {
			t.Errorf("groupSizes(%d) = %v, want %v", n, got, want)
		}
	}
}

// TestGroupedPlans checks that the grouped lookup searches indexes, as
// qMatch does, and never scans the articles.
func TestGroupedPlans(t *testing.T) {
	db := openGroupTest(t, "plans")
	for k := 1; k <= maxGroup; k *= 2 {
		args := make([]any, 0, 2*k+1)
		for range k {
			args = append(args, "u", "g")
		}
		got := plan(t, db, groupQueries[k].match, append(args, 1)...)
		if k == 4 {
			t.Logf("plan of %d lookups:\n%s", k, got)
		}
		for _, want := range []string{"sqlite_autoindex_articles_1 (url=?)", "PRIMARY KEY (url=?)",
			"article_sources_guid (source_id=? AND guid=?)", "INTEGER PRIMARY KEY (rowid=?)",
			"PRIMARY KEY (article_id=? AND source_id=?)"} {
			if !strings.Contains(got, want) {
				t.Errorf("plan of %d lookups lacks %q:\n%s", k, want, got)
			}
		}
		if fullScan.MatchString(got) {
			t.Errorf("plan of %d lookups scans a table:\n%s", k, got)
		}
	}
}

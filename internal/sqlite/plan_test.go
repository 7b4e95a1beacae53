package sqlite

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

// plan returns the EXPLAIN QUERY PLAN of a query, one step a line.
func plan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.r.DB.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// fullScan matches a plan step that reads a whole large table or index.
var fullScan = regexp.MustCompile(`(?m)^SCAN (jobs|j|articles|a|snapshots|article_sources|x|charges|c|attempts|click_counts)\b`)

// TestQueryPlans checks that the hot paths search indexes (the ones named)
// rather than scan tables that grow to millions of rows.
func TestQueryPlans(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	week := herald.ReportQuery{Since: now.Add(-7 * 24 * time.Hour), Until: now, Network: herald.Twitter}
	d := newDialect()
	rank := func(q herald.ReportQuery, source int64) (string, []any) {
		return d.RankSQL(q, source, "score", herald.Weights{Shares: 3, Comments: 2, Reactions: 1, Clicks: 1}, 20)
	}
	trending := week
	trending.Trending = true
	posts, postArgs := postsQuery(herald.PostFilter{SentAfter: now, Limit: 100, AfterJobID: 5})
	somePosts, somePostArgs := postsQuery(herald.PostFilter{SentAfter: now, Accounts: []string{"a", "b"}})
	type check struct {
		name  string
		query string
		args  []any
		want  []string // plan steps that must appear
	}
	checks := []check{
		{"article by url", qArticleByURL, []any{"u"}, []string{"sqlite_autoindex_articles_1 (url=?)", "PRIMARY KEY (url=?)"}},
		{"article by guid", qArticleByGUID, []any{1, "g"}, []string{"article_sources_guid (source_id=? AND guid=?)"}},
		{"match an item", qMatch, []any{"u", 1, "g"}, []string{"sqlite_autoindex_articles_1 (url=?)", "PRIMARY KEY (url=?)",
			"article_sources_guid (source_id=? AND guid=?)", "PRIMARY KEY (article_id=? AND source_id=?)"}},
		{"guid owner", sqlstore.GUIDOwnerSQL, []any{1, "g"}, []string{"article_sources_guid (source_id=? AND guid=?)"}},
		// As sqlstore.InsertJob looks for a job of the article for the account.
		{"jobs of article", `SELECT 1 FROM jobs WHERE article_id = ? AND account_id = ?`, []any{1, "a"},
			[]string{"(article_id=? AND account_id=?)"}},
		{"claimed elsewhere", qClaimedElsewhere, []any{"a", 1, false, "o"}, []string{"jobs_state (state=? AND account_id=?)"}},
		{"stuck jobs", qStuck, []any{"a", 1, 1}, []string{"jobs_state (state=? AND account_id=?)"}},
		{"due jobs", qDue, []any{"a", 1, 1}, []string{"jobs_pending (account_id=?)"}},
		{"next due", d.NextDueSQL(), nil, []string{"jobs_pending"}},
		{"sent count", d.SentCountSQL(), []any{"a", 1}, []string{"jobs_sent (account_id=? AND sent_at>?)"}},
		{"count jobs", sqlstore.QCountJobs, nil, []string{"jobs_state (state=?)"}},
		{"count account jobs", sqlstore.QCountAccountJobs, []any{"a"}, []string{"jobs_state (state=? AND account_id=?)"}},
		{"job by remote", sqlstore.QJobByRemote, []any{"r"}, []string{"jobs_remote (remote_id=?)", "jobs_permalink (permalink=?)"}},
		{"list accounts", d.ListAccountsSQL(), []any{1, 1}, []string{"jobs_sent (account_id=? AND sent_at>?)",
			"charges_account (account_id=? AND at>?)", "jobs_pending (account_id=?)"}},
		{"posts to collect", posts, postArgs, []string{"jobs_live (id>?)", "jobs_sent (account_id=? AND sent_at>?)"}},
		{"posts of accounts", somePosts, somePostArgs, []string{"jobs_live (id>?)"}},
	}
	q, a := rank(week, 0)
	checks = append(checks, check{"report", q, a, []string{"COVERING INDEX jobs_report (published_at>? AND published_at<?)"}})
	if p := plan(t, db, q, a...); strings.Contains(p, "TEMP B-TREE FOR GROUP BY") {
		t.Errorf("report groups in a temporary b-tree:\n%s", p)
	}
	q, a = rank(week, 3)
	checks = append(checks, check{"report of a section", q, a, []string{"jobs_report", "PRIMARY KEY (article_id=? AND source_id=?)"}})
	q, a = rank(trending, 0)
	checks = append(checks, check{"trending", q, a, []string{"jobs_report", "PRIMARY KEY (job_id=? AND at>? AND at<?)",
		"SEARCH c USING PRIMARY KEY (job_id=? AND hour>? AND hour<?)"}})
	if p := plan(t, db, qClaimSources, now.UnixMilli(), 32); strings.Contains(p, "TEMP B-TREE") ||
		!strings.Contains(p, "sources_due") {
		t.Errorf("a claim of due feeds sorts them all rather than reading sources_due in order:\n%s", p)
	}
	if p := plan(t, db, posts, postArgs...); strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("posts to collect are sorted for every page:\n%s", p)
	}
	for _, c := range checks {
		p := plan(t, db, c.query, c.args...)
		if fullScan.MatchString(p) {
			t.Errorf("%s: full scan:\n%s", c.name, p)
		}
		for _, w := range c.want {
			if !strings.Contains(p, w) {
				t.Errorf("%s: plan lacks %q:\n%s", c.name, w, p)
			}
		}
	}
}

package e2e

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// TestDailyCapHoldsAcrossInstances gives three `herald run` processes
// sharing one PostgreSQL 60 new stories at once for two X accounts, one of
// them capped at 20 posts a day: the capped account gets exactly 20 posts
// although every instance reads its count and claims its jobs at the same
// moments, and the other account gets all 60.
func TestDailyCapHoldsAcrossInstances(t *testing.T) {
	t.Parallel()
	needBinary(t)
	if now := time.Now().UTC(); now.Hour() == 23 && now.Minute() >= 58 {
		t.Skip("too close to midnight UTC, when the daily cap starts again")
	}
	const stories, dailyCap = 60, 20
	accts := newXAccounts(2)
	accts[0].dailyCap = dailyCap
	site := newMultiSite(t, accts, 0, "desk")
	x := site.x
	ins := site.startInstances(t, site.write(t, multiConfig{interval: time.Hour}), "c", 3)

	db := openPG(t, site.dsn)
	ctx := context.Background()
	now := time.Now()
	items := make([]herald.ArticleInput, stories)
	for i := range items {
		link := fmt.Sprintf("https://news.example/desk/%d", i)
		items[i] = herald.ArticleInput{URL: link, GUID: link, Title: fmt.Sprintf("Desk story %d", i),
			PublishedAt: now, Announce: true, Targets: []string{accts[0].id, accts[1].id}}
	}
	if _, err := db.SaveArticles(ctx, onlySource(t, db), items, now); err != nil {
		t.Fatal(err)
	}
	// Done when the uncapped account has every post and the capped one has
	// its cap's worth and nothing claimed or sending: what is left of its
	// queue waits for tomorrow.
	testkit.WaitFor(t, "every post of the uncapped account and the capped one at its cap", 60*time.Second, func() bool {
		if len(x.PostsByUser(accts[1].user.ID)) < stories || len(x.PostsByUser(accts[0].user.ID)) < dailyCap {
			return false
		}
		var busy int
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM jobs WHERE account_id = $1
			AND (claimed_by <> '' OR state = 'sending')`, accts[0].id).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		return busy == 0
	})
	for _, in := range ins {
		if code, _ := in.d.stop(t, syscall.SIGTERM, 15*time.Second); code != 0 {
			t.Errorf("%s: exit status %d after SIGTERM", in.id, code)
		}
	}
	sent := map[string]int{}
	for _, in := range ins {
		for _, e := range in.d.logs.entries("post sent") {
			if e["account"] == accts[0].id {
				sent[in.id]++
			}
		}
	}
	capped, other := len(x.PostsByUser(accts[0].user.ID)), len(x.PostsByUser(accts[1].user.ID))
	t.Logf("capped account: %d posts (by instance %v); other: %d", capped, sent, other)
	if capped != dailyCap {
		t.Errorf("capped account got %d posts, want exactly its daily cap %d", capped, dailyCap)
	}
	if other != stories {
		t.Errorf("uncapped account got %d posts, want %d", other, stories)
	}
	c, err := db.CountJobs(ctx, accts[0].id)
	if err != nil {
		t.Fatal(err)
	}
	if c[herald.JobSent] != dailyCap || c[herald.JobPending] != stories-dailyCap {
		t.Errorf("capped account's jobs %v, want %d sent and %d pending", c, dailyCap, stories-dailyCap)
	}
}

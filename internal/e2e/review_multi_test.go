package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// TestReviewTwoInstancesPostOnce is issue "newsroom controls" acceptance
// 2 on a shared PostgreSQL: two `herald run` instances hold the posts of
// an account with review: true; two editors approve each post at the same
// moment; one approval wins, and every story is posted exactly once.
func TestReviewTwoInstancesPostOnce(t *testing.T) {
	t.Parallel()
	needBinary(t)
	site := newMultiSite(t, newXAccounts(1), 0, "wire")
	x, feeds := site.x, site.feeds
	cfg := site.write(t, multiConfig{interval: 200 * time.Millisecond})
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body = bytes.Replace(body, []byte("daily_cap: 0}"), []byte("daily_cap: 0, review: true}"), 1)
	if err := os.WriteFile(cfg, body, 0o600); err != nil {
		t.Fatal(err)
	}
	site.startInstances(t, cfg, "n", 2)
	db := openPG(t, site.dsn)
	ctx := context.Background()
	testkit.WaitFor(t, "the feed's backlog recorded", 30*time.Second, func() bool {
		s, err := db.GetSource(ctx, "wire")
		return err == nil && s.Seeded
	})
	const n = 5
	now := time.Now()
	for i := range n {
		feeds.add("wire", story{Title: fmt.Sprintf("Reviewed story %d", i), Link: fmt.Sprintf("https://news.example/wire/reviewed-%d", i),
			Published: now.Add(time.Duration(i) * time.Second)})
	}
	held := func() []herald.Job {
		js, err := db.ListJobs(ctx, herald.JobFilter{States: []herald.JobState{herald.JobHeld}})
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	testkit.WaitFor(t, "every post held", 30*time.Second, func() bool { return len(held()) == n })
	if len(x.Posts()) != 0 {
		t.Fatalf("%d posts went out before any approval", len(x.Posts()))
	}

	for _, j := range held() {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for k := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var out, errOut bytes.Buffer
				codes[k] = cli.Execute(ctx, []string{"--config", cfg, "queue", "approve", strconv.FormatInt(j.ID, 10)}, &out, &errOut)
			}()
		}
		wg.Wait()
		if won := strings.Count(fmt.Sprint(codes), "0"); won != 1 {
			t.Errorf("job %d: exit statuses %v, want one approval", j.ID, codes)
		}
	}
	testkit.WaitFor(t, "every story posted", 30*time.Second, func() bool {
		c, err := db.CountJobs(ctx, "")
		return err == nil && c[herald.JobSent] == n
	})
	texts := map[string]int{}
	for _, p := range x.Posts() {
		texts[p.Text]++
	}
	if len(x.Posts()) != n || len(texts) != n {
		t.Errorf("%d posts (%d distinct), want %d, each once: %v", len(x.Posts()), len(texts), n, texts)
	}
}

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// TestJobsOfAnotherInstanceWakeTheDispatcher creates jobs in the shared
// PostgreSQL database from outside a running `herald run` (as another
// instance's webhook would) and checks that the daemon heard of them through
// LISTEN/NOTIFY: its herald_dispatch_notifications_total counter rises, and
// the posts are sent.
func TestJobsOfAnotherInstanceWakeTheDispatcher(t *testing.T) {
	t.Parallel()
	needBinary(t)
	accts := newXAccounts(1)
	site := newMultiSite(t, accts, 0, "wire")
	x := site.x
	in := startInstance(t, site.dir, site.write(t, multiConfig{interval: time.Hour}), "n1")
	var addr string
	testkit.WaitFor(t, "the daemon dispatching and serving HTTP", 30*time.Second, func() bool {
		if in.d.exited() {
			t.Fatalf("exited: %v\n%s", in.d.err, in.d.logs.tail(20))
		}
		if es := in.d.logs.entries("http server listening"); len(es) > 0 {
			addr, _ = es[0]["addr"].(string)
		}
		return addr != "" && in.logCount("dispatcher started") > 0
	})

	db := openPG(t, site.dsn)
	ctx := context.Background()
	source := onlySource(t, db)
	// Two stories one after the other: the listener is surely subscribed by
	// the time the first is sent.
	for i := range 2 {
		now := time.Now()
		link := fmt.Sprintf("https://news.example/wire/%d", i)
		saved, err := db.SaveArticles(ctx, source, []herald.ArticleInput{{URL: link, GUID: link,
			Title: fmt.Sprintf("Wire story %d", i), PublishedAt: now}}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateJob(ctx, herald.NewJob{ArticleID: saved[0].Article.ID, Account: accts[0].id,
			Kind: herald.KindRepost, Template: "{{.Title}} {{.URL}}", DueAt: now}, now); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, fmt.Sprintf("post %d", i+1), 30*time.Second, func() bool { return len(x.Posts()) == i+1 })
	}
	if n := notifications(t, "http://"+addr+"/metrics"); n < 1 {
		t.Errorf("herald_dispatch_notifications_total = %v, want ≥ 1", n)
	}
	if code, _ := in.d.stop(t, syscall.SIGTERM, 15*time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
}

// notifications reads herald_dispatch_notifications_total from /metrics.
func notifications(t *testing.T, url string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "herald_dispatch_notifications_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("%s: no herald_dispatch_notifications_total", url)
	return 0
}

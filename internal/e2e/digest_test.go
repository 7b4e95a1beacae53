package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
)

// TestDigestThreadSurvivesKill runs the built binary with a digest of five
// stories on x_one, kills it with SIGKILL once the thread has begun and
// starts it again: the thread is completed, every part posted once, each
// answering the one before, and a second restart posts nothing more.
func TestDigestThreadSurvivesKill(t *testing.T) {
	t.Parallel()
	needBinary(t)
	e := startEmulations(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	ctx := context.Background()

	// The stories and their views are in the database before Herald starts.
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	src, err := st.PushSource(ctx, "site")
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	items := make([]herald.ArticleInput, n)
	for i := range items {
		items[i] = herald.ArticleInput{URL: fmt.Sprintf("https://news.example/top/%d", i), Title: fmt.Sprintf("Top story %d", i),
			PublishedAt: time.Now().Add(-time.Hour)}
	}
	rs, err := st.SaveArticles(ctx, src.ID, items, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	day := herald.ViewDay(time.Now())
	for i, r := range rs {
		for k := range 2 * (n - i) {
			if _, err := st.RecordViews(ctx, []herald.View{{ArticleID: r.Article.ID, Day: day,
				Visitor: []byte(fmt.Sprintf("visitor-%d-%d-xxxxx", i, k))}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	st.Close()

	cfg := fmt.Sprintf("database: {url: %q}\nhttp: {addr: \"127.0.0.1:0\"}\nlog: {format: json}\n", "sqlite:"+db) +
		"dispatch: {lease: 2s, timeout: 1s, shutdown_wait: 2s, backoff_base: 30ms, backoff_max: 600ms, reconcile_delay: 5ms}\n" +
		strings.Replace(e.accountsYAML(), "x_one: {network: twitter,",
			`x_one: {digest: {schedule: "0 0 * * *", count: 5, by: views, title: "Most viewed today"}, network: twitter,`, 1)
	path := filepath.Join(dir, "herald.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config", path, "run"}
	user := e.users["x_one"].ID

	d := startDaemon(t, dir, nil, args...)
	testkit.WaitFor(t, "the thread begun", 30*time.Second, func() bool {
		if d.exited() {
			t.Fatalf("herald exited on its own: %v\n%s", d.err, d.logs.tail(30))
		}
		return len(e.x.PostsByUser(user)) >= 2
	})
	d.kill()
	killedAt := len(e.x.PostsByUser(user))
	d = startDaemon(t, dir, nil, args...)
	testkit.WaitFor(t, "the thread completed", 60*time.Second, func() bool {
		if d.exited() {
			t.Fatalf("herald exited on its own: %v\n%s", d.err, d.logs.tail(30))
		}
		return len(e.x.PostsByUser(user)) >= n
	})
	if code, _ := d.stop(t, syscall.SIGINT, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGINT:\n%s", code, d.logs.tail(30))
	}
	// A further run the same day posts nothing.
	d = startDaemon(t, dir, nil, args...)
	time.Sleep(3 * time.Second)
	if code, _ := d.stop(t, syscall.SIGINT, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGINT:\n%s", code, d.logs.tail(30))
	}

	posts := e.x.PostsByUser(user)
	t.Logf("killed after %d of %d posts", killedAt, n)
	if len(posts) != n {
		t.Fatalf("%d posts, want %d", len(posts), n)
	}
	for i, p := range posts {
		want := fmt.Sprintf("%d. Top story %d https://news.example/top/%d", i+1, i, i)
		if i == 0 {
			want = "Most viewed today\n\n" + want
		}
		if p.Text != want {
			t.Errorf("post %d = %q, want %q", i+1, p.Text, want)
		}
		if i > 0 && p.InReplyTo != posts[i-1].ID || i == 0 && p.InReplyTo != "" {
			t.Errorf("post %d answers %q", i+1, p.InReplyTo)
		}
	}
	if n := len(e.x.PostsByUser(e.users["x_two"].ID)) + len(e.graph.PostsByPage(e.page.ID)); n != 0 {
		t.Errorf("%d posts on accounts without a digest", n)
	}
}

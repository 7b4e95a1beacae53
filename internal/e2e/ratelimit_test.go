package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/testkit"
)

// TestAnnouncedLimitsAreObeyed: X announces 2 posts per 3 s window in its
// headers. Five stories published at once go out one at a time, in
// publication order, two per window, each window waited out a second past
// its announced reset: not one call is answered 429.
func TestAnnouncedLimitsAreObeyed(t *testing.T) {
	t.Parallel()
	needBinary(t)
	feeds := startFeeds(t, "world")
	user := emulator.XUser{ID: "4001", Username: "daily_x_one", ConsumerKey: "ck-e2e", ConsumerSecret: "cs-e2e",
		AccessToken: "x_one-at", AccessTokenSecret: "x_one-ats"}
	x, srv := emulator.StartX(emulator.XOptions{Users: []emulator.XUser{user}, PostLimit: 2, Window: 3 * time.Second,
		PostLimit24h: -1, ReadLimit: -1})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	cfg := filepath.Join(dir, "herald.yaml")
	body := fmt.Sprintf(`database: {url: %q}
http: {addr: "127.0.0.1:0"}
log: {format: json}
sources:
  - {name: world, url: %q, interval: 100ms, targets: [x_one]}
accounts:
  x_one: {network: twitter, api_base_url: %q, user_id: %q, consumer_key: %q, consumer_secret: %q, access_token: %q, access_token_secret: %q}
`, "sqlite:"+db, feeds.url("world"), srv.URL, user.ID, user.ConsumerKey, user.ConsumerSecret, user.AccessToken, user.AccessTokenSecret)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, dir, nil, "--config", cfg, "run")
	testkit.WaitFor(t, "the backlog recorded", 15*time.Second, func() bool { return seeded(t, db, "world") })
	now := time.Now()
	var want []string
	for i := range 5 {
		s := story{Title: fmt.Sprintf("Story %d", i+1), Link: fmt.Sprintf("https://news.example/world/%d", i+1),
			GUID: fmt.Sprint("world-", i+1), Published: now.Add(time.Duration(i-5) * time.Minute)}
		feeds.add("world", s)
		want = append(want, s.Title+" "+canonical(s.Link))
	}
	testkit.WaitFor(t, "five posts", 60*time.Second, func() bool { return len(x.PostsByUser(user.ID)) == 5 })
	posts := x.PostsByUser(user.ID)
	for i, p := range posts {
		if p.Text != want[i] {
			t.Errorf("post %d is %q, want %q (publication order)", i+1, p.Text, want[i])
		}
	}
	if n := x.Count("POST /2/tweets"); n != 5 {
		t.Errorf("%d calls for 5 posts: %d answered 429", n, n-5)
	}
	t.Logf("5 posts, 2 per 3 s window, in %s", posts[4].CreatedAt.Sub(posts[0].CreatedAt).Round(time.Millisecond))
	if code, _ := d.stop(t, syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, d.logs.tail(20))
	}
}

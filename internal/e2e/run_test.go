package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/web"
)

// sections are the three feeds every test serves.
var sections = []string{"world", "business", "sports"}

// newSite starts feeds of every section and the emulations, and writes a
// configuration over them (with extra YAML appended) for a database in a new
// temporary directory.
func newSite(t *testing.T, extra string) (feeds *feedServer, e *emulations, dir, db, cfg string) {
	t.Helper()
	feeds, e, dir = startFeeds(t, sections...), startEmulations(t), t.TempDir()
	db = filepath.Join(dir, "herald.db")
	return feeds, e, dir, db, writeConfig(t, dir, db, feeds, e, extra)
}

// writeConfig writes a configuration for the feeds and emulations, with
// extra YAML (top-level keys) appended, and returns its path.
func writeConfig(t *testing.T, dir, db string, feeds *feedServer, e *emulations, extra string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "database: {url: %q}\nhttp: {addr: \"127.0.0.1:0\"}\nlog: {format: json}\nfeed: {timeout: 2s}\n", "sqlite:"+db)
	b.WriteString(extra)
	b.WriteString("sources:\n")
	for _, s := range sections {
		fmt.Fprintf(&b, "  - {name: %s, url: %q, interval: 100ms, targets: [x_one, x_two, fb_page]}\n", s, feeds.url(s))
	}
	b.WriteString(e.accountsYAML())
	path := filepath.Join(dir, "herald.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// addBacklog puts n stories in every feed before Herald first sees it.
func addBacklog(feeds *feedServer, n int) []story {
	var out []story
	for _, s := range sections {
		for i := range n {
			st := story{Title: fmt.Sprintf("Old %s story %d", s, i), Link: fmt.Sprintf("https://news.example/%s/old-%d", s, i),
				GUID: fmt.Sprintf("%s-old-%d", s, i), Published: time.Now().Add(-time.Duration(i+1) * time.Hour)}
			feeds.add(s, st)
			out = append(out, st)
		}
	}
	return out
}

// newStory is the i-th story published during a test, in feed i mod 3.
// Titles carry what feeds really carry: entities, accents, CJK, dashes.
func newStory(i int) (string, story) {
	titles := []string{
		"Peña Nieto & Videgaray meet over the trade accord",
		"東京 markets rally as the yen slips — analysts split",
		"Council approves $42 million for bridge repairs",
		"Rapids clinch a playoff spot with a 3–1 win",
	}
	section := sections[i%len(sections)]
	return section, story{
		Title: fmt.Sprintf("%s (%02d)", titles[i%len(titles)], i),
		// Tracking parameters are dropped from what is posted.
		Link:      fmt.Sprintf("https://news.example/%s/2026/story-%02d?utm_source=rss&utm_medium=feed", section, i),
		GUID:      fmt.Sprintf("%s-%02d", section, i),
		Published: time.Now(),
	}
}

// TestRunPostsEachStoryOncePerAccount is the dispatch acceptance test end to
// end, in-process: `herald run` with the real poller, dispatcher, clients
// and SQLite; 3 feeds served over loopback; 20 stories published over time
// for 2 X accounts and 1 Page → exactly 60 posts, each as composed, each
// once; the backlog Herald found at first sight is never posted.
func TestRunPostsEachStoryOncePerAccount(t *testing.T) {
	t.Parallel()
	feeds, e, _, db, cfgPath := newSite(t, "dispatch: {lease: 3s, timeout: 2s, shutdown_wait: 3s}\n")
	backlog := addBacklog(feeds, 4)

	r := runInProcess(t, cfgPath)
	running := func() bool { return r.running(t) }
	testkit.WaitFor(t, "the backlog recorded", 10*time.Second, func() bool { return running() && seeded(t, db, sections...) })

	var stories []story
	for i := range 20 {
		section, s := newStory(i)
		feeds.add(section, s)
		if i == 7 {
			// The same story in a second section is still one story.
			dup := s
			dup.GUID = "business-copy-07"
			feeds.add("business", dup)
		}
		stories = append(stories, s)
		time.Sleep(60 * time.Millisecond)
	}
	testkit.WaitFor(t, "60 posts", 20*time.Second, func() bool {
		running()
		return len(e.x.Posts()) >= 40 && len(e.graph.Posts()) >= 20
	})
	// A few more polls of the unchanged feeds must post nothing more.
	time.Sleep(500 * time.Millisecond)
	if err := r.stopCleanly(); err != nil {
		t.Fatal(err)
	}

	e.checkPosts(t, stories)
	for _, p := range e.x.Posts() {
		for _, b := range backlog {
			if strings.Contains(p.Text, b.Title) {
				t.Errorf("backlog story posted: %q", p.Text)
			}
		}
	}
	if got := jobStates(t, db); got[herald.JobSent] != 60 || len(got) != 1 {
		t.Errorf("jobs by state %v, want 60 sent and nothing else", got)
	}
	if feeds.notModified.Load() == 0 {
		t.Error("no poll of an unchanged feed was answered 304: conditional GET is not in use")
	}
	if n := len(r.logs.entries("post sent")); n != 60 {
		t.Errorf("%d \"post sent\" log lines, want 60", n)
	}
}

// TestRunPostsWebhookArticlesAtOnce: a signed CMS webhook goes through the
// same pipeline as the feeds. The article is posted to its section's targets
// as soon as it arrives (the webhook wakes the dispatcher), and the same
// story seen in the feed afterwards is not posted again.
func TestRunPostsWebhookArticlesAtOnce(t *testing.T) {
	feeds, e, _, db, cfgPath := newSite(t, "dispatch: {lease: 3s, timeout: 2s, shutdown_wait: 3s}\n")
	const secret = "webhook-secret-for-tests"
	t.Setenv("HERALD_HTTP_WEBHOOK_SECRET", secret)

	r := runInProcess(t, cfgPath)
	logs := r.logs
	testkit.WaitFor(t, "the backlog recorded", 10*time.Second, func() bool { return seeded(t, db, sections...) })
	listening := logs.entries("http server listening")
	if len(listening) != 1 {
		t.Fatalf("no address logged:\n%s", logs.tail(20))
	}

	_, s := newStory(3)
	body := []byte(fmt.Sprintf(`{"url": %q, "title": %q, "section": "world"}`, s.Link, s.Title))
	ts := fmt.Sprint(time.Now().Unix())
	req, err := http.NewRequest(http.MethodPost, "http://"+listening[0]["addr"].(string)+"/hooks/articles", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(web.TimestampHeader, ts)
	req.Header.Set(web.SignatureHeader, web.Sign(secret, ts, body))
	sent := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}
	testkit.WaitFor(t, "the webhook article posted to 3 accounts", 10*time.Second, func() bool {
		return len(e.x.Posts()) == 2 && len(e.graph.Posts()) == 1
	})
	t.Logf("webhook to 3 posts: %s", time.Since(sent).Round(time.Millisecond))

	// The feed carries the same story a little later: nothing more is posted.
	before := feeds.fullAnswers("world")
	feeds.add("world", s)
	testkit.WaitFor(t, "the feed's copy polled", 5*time.Second, func() bool { return feeds.fullAnswers("world") > before })
	time.Sleep(300 * time.Millisecond) // its poll recorded, and a send it might have caused made
	if err := r.stopCleanly(); err != nil {
		t.Fatal(err)
	}
	e.checkPosts(t, []story{s})
}

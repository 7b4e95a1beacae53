package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// itemFeed serves one RSS feed whose items (with categories and authors)
// the test sets while Herald polls it.
type itemFeed struct {
	srv *httptest.Server

	mu   sync.Mutex
	body []byte
}

// feedItem is an item of an itemFeed.
type feedItem struct {
	Title, Link, Author string
	Categories          []string
	Published           time.Time
}

func startItemFeed(t *testing.T) *itemFeed {
	t.Helper()
	f := &itemFeed{}
	f.set(nil)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		body := f.body
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		_, _ = w.Write(body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// set replaces the feed's items (listed newest first, as feeds do).
func (f *itemFeed) set(items []feedItem) {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>world</title><link>https://news.example/world</link><description>test</description>\n")
	for _, it := range items {
		fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link><guid isPermaLink=\"true\">%s</guid><pubDate>%s</pubDate><dc:creator>%s</dc:creator>",
			it.Title, it.Link, it.Link, it.Published.UTC().Format(time.RFC1123Z), it.Author)
		for _, c := range it.Categories {
			fmt.Fprintf(&b, "<category>%s</category>", c)
		}
		b.WriteString("</item>\n")
	}
	b.WriteString("</channel></rss>\n")
	f.mu.Lock()
	f.body = b.Bytes()
	f.mu.Unlock()
}

// worldSource is the source "world" reading feed every 100 ms, with the
// further keys given (its targets first), as startIntakeDaemon takes it.
func worldSource(feed *itemFeed, keys string) string {
	return fmt.Sprintf("  - {name: world, url: %q, interval: 100ms, %s}\n", feed.srv.URL, keys)
}

// intakeDaemon runs `herald run` in-process on a configuration with one
// source, "world", and the emulations' accounts.
type intakeDaemon struct {
	cfg, db string
	*inProcess
}

func startIntakeDaemon(t *testing.T, e *emulations, source, extra string) *intakeDaemon {
	t.Helper()
	dir := t.TempDir()
	d := &intakeDaemon{db: filepath.Join(dir, "herald.db")}
	body := fmt.Sprintf("database: {url: %q}\nhttp: {addr: \"127.0.0.1:0\"}\nlog: {format: json}\nfeed: {timeout: 2s}\n"+
		"dispatch: {lease: 3s, timeout: 2s, shutdown_wait: 3s}\n%ssources:\n%s%s", "sqlite:"+d.db, extra, source, e.accountsYAML())
	d.cfg = filepath.Join(dir, "herald.yaml")
	if err := os.WriteFile(d.cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	d.inProcess = runInProcess(t, d.cfg)
	testkit.WaitFor(t, "the backlog recorded", 10*time.Second, func() bool { return d.running(t) && seeded(t, d.db, "world") })
	return d
}

// readyz fetches the daemon's /readyz.
func (d *intakeDaemon) readyz(t *testing.T) (body struct{ Warnings []string }) {
	t.Helper()
	es := d.logs.entries("http server listening")
	if len(es) == 0 {
		t.Fatal("the daemon serves no HTTP")
	}
	addr, _ := es[0]["addr"].(string)
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body
}

// herald runs a command line against the daemon's configuration.
func (d *intakeDaemon) herald(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := cli.Execute(context.Background(), append([]string{"--config", d.cfg}, args...), &out, &errOut); code != 0 {
		t.Fatalf("herald %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String()
}

// TestFloodOnePollPostsTheNewest is issue "a flood from one feed": one
// poll bringing 500 new stories posts the newest publish.max_new_per_poll
// (default 10) and records the other 490 with their posts skipped, reason
// flood, with a warning; `herald queue retry --flood` releases them.
func TestFloodOnePollPostsTheNewest(t *testing.T) {
	t.Parallel()
	e := startEmulations(t)
	feed := startItemFeed(t)
	d := startIntakeDaemon(t, e, worldSource(feed, "targets: [x_one]"), "")

	now := time.Now()
	items := make([]feedItem, 500)
	for i := range items {
		items[i] = feedItem{Title: fmt.Sprintf("Story %03d", i), Link: fmt.Sprintf("https://news.example/world/%03d", i),
			Published: now.Add(-time.Duration(i) * time.Second)}
	}
	feed.set(items)
	testkit.WaitFor(t, "500 jobs", 20*time.Second, func() bool {
		c := jobStates(t, d.db)
		return d.running(t) && c[herald.JobSkipped] == 490 && c[herald.JobSent] == 10
	})
	var sent []string
	for _, p := range e.x.PostsByUser(e.users["x_one"].ID) {
		sent = append(sent, strings.Fields(p.Text)[1])
	}
	slices.Sort(sent)
	if want := []string{"000", "001", "002", "003", "004", "005", "006", "007", "008", "009"}; !slices.Equal(sent, want) {
		t.Errorf("posted stories %v, want the newest ten %v", sent, want)
	}
	skipped := 0
	for _, j := range listJobs(t, d.db) {
		if j.State == herald.JobSkipped && j.SkipReason == herald.SkipFlood {
			skipped++
		}
	}
	if skipped != 490 {
		t.Errorf("%d jobs skipped for flood, want 490", skipped)
	}
	if w := d.logs.entries("flood: new stories beyond publish.max_new_per_poll recorded, not posted"); len(w) != 1 ||
		w[0]["level"] != "WARN" || w[0]["skipped"] != float64(490) || w[0]["source"] != "world" {
		t.Errorf("flood warnings: %v", w)
	}
	if ready := d.readyz(t); !slices.Contains(ready.Warnings,
		"source world: 490 posts held back by publish.max_new_per_poll (herald queue retry --flood world)") {
		t.Errorf("/readyz warnings %q lack the flood", ready.Warnings)
	}

	// Released: every one of them is pending again (stopped daemon: none is sent meanwhile).
	d.halt(t)
	if out := d.herald(t, "queue", "retry", "--flood", "world"); out != "Released 490 posts of world skipped by the flood limit: pending again, due now.\n" {
		t.Errorf("retry --flood: %q", out)
	}
	if c := jobStates(t, d.db); c[herald.JobPending] != 490 || c[herald.JobSkipped] != 0 {
		t.Errorf("after retry --flood: %v", c)
	}
}

// TestFiltersPerSourceAndTarget is issue "newsroom controls" acceptance 1:
// a feed with categories and authors; exactly the stories the rules allow
// are posted to each target, the others are recorded with their posts
// skipped "filtered (...)", visible in articles and queue, and `queue
// retry` posts one of them.
func TestFiltersPerSourceAndTarget(t *testing.T) {
	t.Parallel()
	e := startEmulations(t)
	feed := startItemFeed(t)
	source := fmt.Sprintf(`  - name: world
    url: %q
    interval: 100ms
    exclude: {authors: [Wire Desk]}
    targets:
      - account: x_one
        exclude: {title: ["(?i)^sponsored:"]}
      - account: fb_page
        exclude: {categories: [Opinion]}
`, feed.srv.URL)
	d := startIntakeDaemon(t, e, source, "")

	now := time.Now()
	stories := []feedItem{
		{Title: "Storm hits the coast", Author: "Ana Ruiz", Categories: []string{"News"}},
		{Title: "Why the tax plan fails", Author: "Ben Ode", Categories: []string{"Opinion"}},
		{Title: "Markets slip", Author: "Wire Desk", Categories: []string{"Business"}},
		{Title: "Sponsored: the new phones", Author: "Ana Ruiz", Categories: []string{"Tech"}},
	}
	for i := range stories {
		stories[i].Link = fmt.Sprintf("https://news.example/world/filtered-%d", i)
		stories[i].Published = now.Add(-time.Duration(i) * time.Minute)
	}
	feed.set(stories)
	testkit.WaitFor(t, "8 jobs settled", 20*time.Second, func() bool {
		c := jobStates(t, d.db)
		return d.running(t) && c[herald.JobSent] == 4 && c[herald.JobSkipped] == 4
	})
	xText := func() []string {
		var out []string
		for _, p := range e.x.PostsByUser(e.users["x_one"].ID) {
			out = append(out, p.Text)
		}
		slices.Sort(out)
		return out
	}
	fbText := func() []string {
		var out []string
		for _, p := range e.graph.PostsByPage(e.page.ID) {
			out = append(out, p.Message)
		}
		slices.Sort(out)
		return out
	}
	if got, want := xText(), []string{
		"Storm hits the coast https://news.example/world/filtered-0",
		"Why the tax plan fails https://news.example/world/filtered-1",
	}; !slices.Equal(got, want) {
		t.Errorf("x_one posts %q, want %q", got, want)
	}
	if got, want := fbText(), []string{"Sponsored: the new phones", "Storm hits the coast"}; !slices.Equal(got, want) {
		t.Errorf("fb_page posts %q, want %q", got, want)
	}
	reasons := map[string]string{}
	var opinionFB int64
	for _, j := range listJobs(t, d.db) {
		if j.State == herald.JobSkipped {
			reasons[j.Article.Title+"/"+j.Account] = j.SkipReason
			if j.Account == "fb_page" && j.Article.Title == "Why the tax plan fails" {
				opinionFB = j.ID
			}
		}
	}
	want := map[string]string{
		"Why the tax plan fails/fb_page":  "filtered (exclude categories: Opinion)",
		"Markets slip/x_one":              "filtered (exclude authors: Wire Desk)",
		"Markets slip/fb_page":            "filtered (exclude authors: Wire Desk)",
		"Sponsored: the new phones/x_one": "filtered (exclude title: (?i)^sponsored:)",
	}
	if fmt.Sprint(reasons) != fmt.Sprint(want) {
		t.Errorf("skipped jobs %v, want %v", reasons, want)
	}

	// Visible where an editor looks: the queue gives the reason, the
	// articles list has the stories.
	var queue []struct {
		ID         int64  `json:"id"`
		State      string `json:"state"`
		SkipReason string `json:"skip_reason"`
	}
	if err := json.Unmarshal([]byte(d.herald(t, "queue", "--state", "skipped", "--format", "json")), &struct {
		Jobs any `json:"jobs"`
	}{&queue}); err != nil {
		t.Fatal(err)
	}
	if len(queue) != 4 || !slices.ContainsFunc(queue, func(r struct {
		ID         int64  `json:"id"`
		State      string `json:"state"`
		SkipReason string `json:"skip_reason"`
	}) bool {
		return r.ID == opinionFB && r.SkipReason == "filtered (exclude categories: Opinion)"
	}) {
		t.Errorf("herald queue --state skipped: %+v", queue)
	}
	if out := d.herald(t, "articles", "--format", "json"); !strings.Contains(out, "Markets slip") || !strings.Contains(out, "Why the tax plan fails") {
		t.Errorf("herald articles lacks the filtered stories:\n%s", out)
	}

	// An editor sends one of them after all.
	d.herald(t, "queue", "retry", fmt.Sprint(opinionFB))
	testkit.WaitFor(t, "the retried post", 20*time.Second, func() bool {
		return d.running(t) && slices.Contains(fbText(), "Why the tax plan fails")
	})
	if got := fbText(); len(got) != 3 {
		t.Errorf("fb_page posts after retry %q, want 3", got)
	}
}

package e2e

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// docker-compose.yml cannot run here (no Docker engine), so these tests
// read it and check its topology, then run the built binary the way each
// of its services would.

// composeService is the part of a docker-compose.yml service these tests read.
type composeService struct {
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

// readCompose parses the repository's docker-compose.yml (merge keys
// resolved, as Compose does).
func readCompose(t *testing.T) map[string]composeService {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f.Services
}

// composeInstances are the services that run `herald run`.
var composeInstances = []string{"herald-1", "herald-2"}

// composeFlag returns the value of --name in a service's command.
func composeFlag(cmd []string, name string) string {
	for i, a := range cmd {
		if a == "--"+name && i+1 < len(cmd) {
			return cmd[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// baseURLKey is the account key that names where a network's API is.
var baseURLKey = map[string]string{"twitter": "api_base_url", "facebook": "graph_base_url",
	"mastodon": "instance_url", "bluesky": "pds_url"}

// composeAccounts reads the accounts (ID → network) and the sandbox key of
// the configuration file at path.
func composeAccounts(t *testing.T, path string) (map[string]string, bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Sandbox  bool `yaml:"sandbox"`
		Accounts map[string]struct {
			Network string `yaml:"network"`
		} `yaml:"accounts"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]string{}
	for id, a := range c.Accounts {
		out[id] = a.Network
	}
	return out, c.Sandbox
}

// imageDir lays out a directory as the image's /app: configs/ and
// testdata/feeds/ of the repository (see the Dockerfile).
func imageDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"configs", filepath.Join("testdata", "feeds")} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(repoRoot(), sub))); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// composeEnv is a service's environment as KEY=VALUE, each value passed
// through local.
func composeEnv(s composeService, local func(string) string) []string {
	var env []string
	for k, v := range s.Environment {
		env = append(env, k+"="+local(v))
	}
	slices.Sort(env)
	return env
}

// TestComposeFileTopology: docker-compose.yml runs PostgreSQL, one `herald
// sandbox` and two `herald run` instances that share both, and the
// instances' configuration passes `herald config check` as the services
// give it.
func TestComposeFileTopology(t *testing.T) {
	t.Parallel()
	svcs := readCompose(t)
	var names []string
	for n := range svcs {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"herald-1", "herald-2", "postgres", "sandbox"}; !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	sb := svcs["sandbox"]
	if len(sb.Command) == 0 || sb.Command[0] != "sandbox" {
		t.Fatalf("sandbox runs %v, want herald sandbox", sb.Command)
	}
	_, sbPort, err := net.SplitHostPort(composeFlag(sb.Command, "addr"))
	if err != nil {
		t.Fatalf("sandbox --addr: %v", err)
	}
	pg := svcs["postgres"].Environment
	configPath := svcs[composeInstances[0]].Environment["HERALD_CONFIG"]
	if configPath == "" || sb.Environment["HERALD_CONFIG"] != configPath {
		t.Errorf("the sandbox reads %q, the instances %q: want one configuration, so it knows their accounts and credentials",
			sb.Environment["HERALD_CONFIG"], configPath)
	}
	accounts, sandboxKey := composeAccounts(t, filepath.Join(repoRoot(), configPath))
	if sandboxKey {
		t.Errorf("%s: sandbox: true would start a sandbox in each instance", configPath)
	}
	if len(accounts) == 0 {
		t.Errorf("%s: no accounts", configPath)
	}
	ids := map[string]bool{}
	for _, name := range composeInstances {
		s := svcs[name]
		if !slices.Equal(s.Command, []string{"run"}) {
			t.Errorf("%s runs %v, want run", name, s.Command)
		}
		if s.DependsOn["postgres"].Condition != "service_healthy" {
			t.Errorf("%s: depends on postgres %+v, want service_healthy", name, s.DependsOn["postgres"])
		}
		if _, ok := s.DependsOn["sandbox"]; !ok {
			t.Errorf("%s does not depend on the sandbox", name)
		}
		env := s.Environment
		if env["HERALD_CONFIG"] != configPath {
			t.Errorf("%s reads %q, want %q like the others", name, env["HERALD_CONFIG"], configPath)
		}
		id := env["HERALD_DISPATCH_INSTANCE_ID"]
		if id == "" || ids[id] {
			t.Errorf("%s: instance ID %q, want one of its own", name, id)
		}
		ids[id] = true
		db, err := url.Parse(env["HERALD_DATABASE_URL"])
		if err != nil || db.Hostname() != "postgres" || db.User.Username() != pg["POSTGRES_USER"] ||
			strings.TrimPrefix(db.Path, "/") != pg["POSTGRES_DB"] {
			t.Errorf("%s: database %q is not the postgres service's %s database of user %s",
				name, env["HERALD_DATABASE_URL"], pg["POSTGRES_DB"], pg["POSTGRES_USER"])
		} else if pw, _ := db.User.Password(); pw != pg["POSTGRES_PASSWORD"] {
			t.Errorf("%s: the database password is not the postgres service's", name)
		}
		// Every account posts to the sandbox service.
		for acct, network := range accounts {
			key := "HERALD_ACCOUNTS_" + strings.ToUpper(acct+"_"+baseURLKey[network])
			u, err := url.Parse(env[key])
			if err != nil || u.Hostname() != "sandbox" || u.Port() != sbPort {
				t.Errorf("%s: %s=%q, want the sandbox service (http://sandbox:%s)", name, key, env[key], sbPort)
			}
		}
	}

	needBinary(t)
	dir := imageDir(t)
	for _, name := range append([]string{"sandbox"}, composeInstances...) {
		cmd := heraldCmd(t, dir, composeEnv(svcs[name], func(v string) string { return v }), "config", "check")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: herald config check: %v\n%s", name, err, out)
		}
	}
}

// sampleStories reads the links of the feed file at path.
func sampleStories(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rss struct {
		Items []struct {
			Link string `xml:"link"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal(b, &rss); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var links []string
	for _, it := range rss.Items {
		links = append(links, canonical(it.Link))
	}
	return links
}

// addSampleStory puts a new story at the top of the feed file at path, in
// one rename, as a CMS rewriting its feed would.
func addSampleStory(t *testing.T, path, title, link string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A file feed's Last-Modified is its modification time to the second,
	// as HTTP dates go: a version written within the second of the one
	// last polled would read as unchanged. Write it in the next second (and
	// a little after, as file times come from a clock that may lag by a few
	// milliseconds).
	old, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(old.ModTime().Truncate(time.Second).Add(time.Second + 100*time.Millisecond)); d > 0 {
		time.Sleep(d)
	}
	item := fmt.Sprintf("<item>\n      <title>%s</title>\n      <link>%s</link>\n      <guid isPermaLink=\"false\">%s</guid>\n      <pubDate>%s</pubDate>\n    </item>\n    ",
		title, link, link, time.Now().UTC().Format(time.RFC1123Z))
	s := strings.Replace(string(b), "<item>", item+"<item>", 1)
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.ModTime().Unix() == old.ModTime().Unix() {
		t.Fatalf("%s: rewritten within the second of its last version (%v), so it reads as unchanged", path, err)
	}
}

// countPosts counts the sandbox's posts by network and link.
func countPosts(posts []sandboxPost) map[string]int {
	out := map[string]int{}
	for _, p := range posts {
		out[p.Network+" "+p.Link]++
	}
	return out
}

// sentBy is what an instance logged as sent: article ID → accounts.
func sentBy(d *daemon) map[int64][]string {
	out := map[int64][]string{}
	for _, e := range d.logs.entries("post sent") {
		id, _ := e["article_id"].(float64)
		acct, _ := e["account"].(string)
		out[int64(id)] = append(out[int64(id)], acct)
	}
	return out
}

// counted is all a report row counts.
func counted(r herald.ReportRow) int64 { return r.Shares + r.Reactions + r.Comments + r.Impressions }

// TestComposeRunsWithTheBinary runs docker-compose.yml's sandbox, herald-1
// and herald-2 services as the built binary, each with its service's
// command and environment (the compose hostnames postgres and sandbox
// mapped to loopback, a PostgreSQL schema of the test's own, 0.0.0.0
// listen addresses to free loopback ports), in a directory laid out as the
// image's /app. herald-2 starts once herald-1 has begun posting the sample
// feed, so herald-1 is known to send some of it. Then: every sample story
// reaches the one sandbox exactly once per account, both instances answer
// /healthz; herald-1 is killed with SIGKILL and a story added to the feed
// afterwards is posted once per account, by herald-2; herald-2's collector
// takes over and reads every post back from the shared sandbox (none gone),
// and `herald report` shows engagement for posts of both instances.
func TestComposeRunsWithTheBinary(t *testing.T) {
	t.Parallel()
	svcs := readCompose(t)
	needBinary(t)
	dsn := pgSchema(t)
	dir := imageDir(t)
	feedPath := filepath.Join(dir, "testdata", "feeds", "sample.xml")
	stories := sampleStories(t, feedPath)
	_, sbPort, err := net.SplitHostPort(composeFlag(svcs["sandbox"].Command, "addr"))
	if err != nil {
		t.Fatal(err)
	}

	sandboxAddr := "" // the sandbox's loopback address, once it listens
	local := func(v string) string {
		if u, err := url.Parse(v); err == nil && u.Host != "" {
			switch u.Hostname() {
			case "postgres":
				return dsn
			case "sandbox":
				if u.Port() != sbPort || sandboxAddr == "" {
					t.Fatalf("%q: not the sandbox's port %s (or the sandbox is not up)", v, sbPort)
				}
				u.Host = sandboxAddr
				return u.String()
			}
		}
		if host, _, err := net.SplitHostPort(v); err == nil && host == "0.0.0.0" {
			return "127.0.0.1:0"
		}
		return v
	}
	start := func(name string) *daemon {
		s := svcs[name]
		args := make([]string, len(s.Command))
		for i, a := range s.Command {
			args[i] = local(a)
		}
		return startDaemon(t, dir, composeEnv(s, local), args...)
	}
	listening := func(name string, d *daemon, msg string) string {
		t.Helper()
		addr := ""
		testkit.WaitFor(t, name+" listening", 20*time.Second, func() bool {
			if d.exited() {
				t.Fatalf("%s exited: %v\n%s", name, d.err, d.logs.tail(30))
			}
			if e := d.logs.entries(msg); len(e) > 0 {
				addr, _ = e[0]["addr"].(string)
			}
			return addr != ""
		})
		return addr
	}
	began := time.Now()

	sandbox := start("sandbox")
	sandboxAddr = listening("sandbox", sandbox, "SANDBOX: serving emulations of X, Facebook, Mastodon and Bluesky; posts sent here never reach the real networks")
	sandboxURL := "http://" + sandboxAddr

	h1 := start("herald-1")
	h1Addr := listening("herald-1", h1, "http server listening")
	testkit.WaitFor(t, "herald-1 posting the sample feed", 20*time.Second, func() bool {
		if h1.exited() {
			t.Fatalf("herald-1 exited: %v\n%s", h1.err, h1.logs.tail(30))
		}
		return len(h1.logs.entries("post sent")) > 0
	})
	h2 := start("herald-2")
	h2Addr := listening("herald-2", h2, "http server listening")
	alive := func() {
		for name, d := range map[string]*daemon{"sandbox": sandbox, "herald-2": h2} {
			if d.exited() {
				t.Fatalf("%s exited: %v\n%s", name, d.err, d.logs.tail(30))
			}
		}
	}

	// The sample feed (publish.backfill covers all of it), once per account
	// on the one sandbox, each post recorded as sent, and the feed's poll
	// recorded (which gives the feed back: killed before that, herald-1
	// would keep it from herald-2 until its lease ran out).
	want := 2 * len(stories)
	sentCount := func() int { return len(h1.logs.entries("post sent")) + len(h2.logs.entries("post sent")) }
	db := openPG(t, dsn)
	testkit.WaitFor(t, fmt.Sprintf("%d posts in the sandbox, recorded as sent", want), 20*time.Second, func() bool {
		alive()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		src, err := db.GetSource(ctx, "sample")
		return err == nil && src.Seeded && sentCount() >= want && len(sandboxPosts(t, sandboxURL)) >= want
	})
	counts := countPosts(sandboxPosts(t, sandboxURL))
	for _, link := range stories {
		for _, network := range []string{"twitter", "facebook"} {
			if n := counts[network+" "+link]; n != 1 {
				t.Errorf("%s: %s posted %d times, want once", network, link, n)
			}
		}
	}
	for name, addr := range map[string]string{"herald-1": h1Addr, "herald-2": h2Addr} {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("%s /healthz: %v", name, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s /healthz: %d", name, resp.StatusCode)
		}
	}
	t.Logf("sample feed posted (%d posts) %s after the start; herald-1 sent %d, herald-2 %d",
		want, time.Since(began).Round(time.Millisecond), len(h1.logs.entries("post sent")), len(h2.logs.entries("post sent")))

	// herald-1 dies; a story published afterwards is herald-2's to post.
	h1.kill()
	killed := time.Now()
	link := "https://www.rivertonledger.example/news/local/2026/compose-after-the-kill"
	addSampleStory(t, feedPath, "Water main repaired on Mill Street after overnight break", link)
	for deadline := time.Now().Add(30 * time.Second); sentCount() < want+2 || len(sandboxPosts(t, sandboxURL)) < want+2; {
		alive()
		if time.Now().After(deadline) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			src, err := db.GetSource(ctx, "sample")
			cancel()
			t.Fatalf("timed out after 30s waiting for the story added after the kill: %d posts in the sandbox, %d recorded as sent; source %+v (%v); herald-2:\n%s",
				len(sandboxPosts(t, sandboxURL)), sentCount(), src, err, h2.logs.tail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
	counts = countPosts(sandboxPosts(t, sandboxURL))
	for _, network := range []string{"twitter", "facebook"} {
		if n := counts[network+" "+link]; n != 1 {
			t.Errorf("%s: the story added after the kill posted %d times, want once", network, n)
		}
	}
	if n := len(sandboxPosts(t, sandboxURL)); n != want+2 {
		t.Errorf("the sandbox holds %d posts, want %d", n, want+2)
	}
	byH1, byH2 := sentBy(h1), sentBy(h2)
	t.Logf("story added after the kill posted %s later", time.Since(killed).Round(time.Millisecond))

	// Engagement: herald-2's collector takes over from herald-1 and reads
	// every post, herald-1's too, from the shared sandbox.
	every := float64(want + 2)
	testkit.WaitFor(t, "a collector pass of herald-2 reading every post", 45*time.Second, func() bool {
		alive()
		for _, e := range h2.logs.entries("collector pass") {
			if e["read"] == every {
				if e["gone"] != 0.0 || e["failed"] != 0.0 {
					t.Fatalf("herald-2's collector found posts gone or failing: %v", e)
				}
				return true
			}
		}
		return false
	})
	report := func(network string) map[int64]herald.ReportRow {
		t.Helper()
		cmd := heraldCmd(t, dir, composeEnv(svcs["herald-2"], local),
			"report", "--format", "json", "--since", "3650d", "--limit", "100", "--network", network)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("herald report --network %s: %v\n%s", network, err, out)
		}
		var rep struct{ Stories []herald.ReportRow }
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("herald report: %v\n%s", err, out)
		}
		m := map[int64]herald.ReportRow{}
		for _, r := range rep.Stories {
			m[r.ArticleID] = r
		}
		return m
	}
	networkOf := map[string]string{"x_main": "twitter", "fb_page": "facebook"}
	reports := map[string]map[int64]herald.ReportRow{"twitter": report("twitter"), "facebook": report("facebook")}
	total := map[string]int64{}
	for name, sent := range map[string]map[int64][]string{"herald-1": byH1, "herald-2": byH2} {
		if len(sent) == 0 {
			t.Errorf("%s sent no post", name)
		}
		sum := map[string]int64{}
		for article, accts := range sent {
			for _, acct := range accts {
				network := networkOf[acct]
				row, ok := reports[network][article]
				if !ok {
					t.Errorf("%s's %s post of article %d is not in the %s report", name, acct, article, network)
					continue
				}
				sum[network] += counted(row)
				// X's simulated impressions grow from a post's first second.
				if network == "twitter" && row.Impressions == 0 {
					t.Errorf("%s's X post of article %d: no impressions read back", name, article)
				}
			}
		}
		for n, c := range sum {
			total[n] += c
		}
		t.Logf("%s sent %d stories; engagement read back: %v", name, len(sent), sum)
	}
	// Facebook's simulated counters grow by chance on each reading, so a
	// single post may still show none; all of them together do not.
	if total["facebook"] == 0 {
		t.Error("no engagement read back for any Facebook post")
	}

	for name, d := range map[string]*daemon{"herald-2": h2, "sandbox": sandbox} {
		if code, took := d.stop(t, syscall.SIGTERM, 15*time.Second); code != 0 {
			t.Errorf("%s: exit status %d after SIGTERM (%s):\n%s", name, code, took, d.logs.tail(20))
		}
	}
	t.Logf("whole run %s", time.Since(began).Round(time.Millisecond))
}

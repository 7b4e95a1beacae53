package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// TestShippedConfigPostsToTheSandbox is the newcomer's first run: the
// shipped configs/herald.yaml, from the repository root, with only a fresh
// database and a free port. Posts reach the in-process sandbox within 30 s,
// with permalinks on loopback (nothing goes to x.com or facebook.com),
// /readyz answers ready, and SIGINT exits 0 within 5 s plus the shutdown
// wait.
func TestShippedConfigPostsToTheSandbox(t *testing.T) {
	t.Parallel()
	needBinary(t)
	db := filepath.Join(t.TempDir(), "herald.db")
	d := startDaemon(t, repoRoot(), []string{"HERALD_DATABASE_URL=sqlite:" + db, "HERALD_HTTP_ADDR=127.0.0.1:0"}, "run")

	// configs/herald.yaml: backfill 3 of the sample feed, to x_main and fb_page.
	testkit.WaitFor(t, "6 posts sent to the sandbox", 30*time.Second, func() bool {
		if d.exited() {
			t.Fatalf("herald exited: %v\n%s", d.err, d.logs.tail(30))
		}
		return len(d.logs.entries("post sent")) == 6
	})
	if len(d.logs.entries("SANDBOX: posts go to local emulations of X, Facebook, Mastodon and Bluesky on this machine, not to the real networks")) != 1 {
		t.Error("the log does not say that posts go to the sandbox")
	}
	for _, e := range d.logs.entries("post sent") {
		if p, _ := e["permalink"].(string); !strings.HasPrefix(p, "http://127.0.0.1:") {
			t.Errorf("permalink %q is not on the local sandbox", p)
		}
	}
	listening := d.logs.entries("http server listening")
	if len(listening) != 1 {
		t.Fatalf("no address logged:\n%s", d.logs.tail(20))
	}
	resp, err := http.Get("http://" + listening[0]["addr"].(string) + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready struct{ Status string }
	err = json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || ready.Status != "ready" {
		t.Errorf("/readyz: %d %+v %v", resp.StatusCode, ready, err)
	}

	resp, err = http.Get("http://" + listening[0]["addr"].(string) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{`herald_jobs{state="sent"}`, `herald_sends_total{account="x_main",outcome="sent"} 3`,
		`herald_api_latency_seconds_count{account="fb_page",network="facebook",op="publish"}`,
		`herald_source_articles{source="sample"} 10`, `herald_source_failures{source="sample"} 0`, "go_goroutines"} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}

	// The reporting routes are mounted: the dashboard (open on loopback
	// without an admin token) and the public ranking, whose window is at
	// most ranking.collect_for (7d by default).
	for path, want := range map[string]int{"/": http.StatusOK, "/api/popular?since=7d": http.StatusOK,
		"/api/popular?since=30d": http.StatusBadRequest} {
		resp, err := http.Get("http://" + listening[0]["addr"].(string) + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		ct := map[bool]string{true: "text/html", false: "application/json"}[path == "/"]
		if resp.StatusCode != want || !strings.HasPrefix(resp.Header.Get("Content-Type"), ct) {
			t.Errorf("GET %s: %d %s, want %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), want, ct)
		}
	}

	// dispatch.shutdown_wait defaults to 10 s; nothing is in flight here.
	code, took := d.stop(t, syscall.SIGINT, 15*time.Second)
	if code != 0 {
		t.Fatalf("exit status %d after SIGINT:\n%s", code, d.logs.tail(20))
	}
	t.Logf("stopped %s after SIGINT", took.Round(time.Millisecond))
	if got := jobStates(t, db); got[herald.JobSent] != 6 || len(got) != 1 {
		t.Errorf("jobs by state %v, want 6 sent", got)
	}
}

// sandboxPost is one post as the sandbox's GET /sandbox/posts lists it.
type sandboxPost struct {
	Network string `json:"network"`
	Account string `json:"account"`
	ID      string `json:"id"`
	Text    string `json:"text"`
	Link    string `json:"link"`
	Deleted bool   `json:"deleted"`
}

// runHeraldCmd runs one command of the built binary in dir and returns its exit
// status, standard output and standard error.
func runHeraldCmd(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := heraldCmd(t, dir, append([]string{"HOME=" + dir}, env...), args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// sandboxAPI waits for the daemon to log where its sandbox serves.
func sandboxAPI(t *testing.T, d *daemon) string {
	t.Helper()
	var api string
	testkit.WaitFor(t, "the sandbox's address in the log", 20*time.Second, func() bool {
		if d.exited() {
			t.Fatalf("herald exited: %v\n%s", d.err, d.logs.tail(30))
		}
		for _, e := range d.logs.entries("SANDBOX: posts go to local emulations of X, Facebook, Mastodon and Bluesky on this machine, not to the real networks") {
			api, _ = e["sandbox_api"].(string)
		}
		return api != "" && len(d.logs.entries("http server listening")) == 1
	})
	return api
}

// sandboxPosts returns what GET /sandbox/posts lists on the sandbox at api.
func sandboxPosts(t *testing.T, api string) []sandboxPost {
	t.Helper()
	resp, err := http.Get(api + "/sandbox/posts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []sandboxPost
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/sandbox/posts: %d, %v", resp.StatusCode, err)
	}
	return out
}

// TestSandboxIsOneNetworkAcrossProcesses: with a daemon in sandbox mode,
// `herald post` from separate processes posts into the daemon's emulation
// (permalinks on its address, a distinct remote id each), `herald delete`
// deletes there, and after a restart the earlier posts are still there:
// `herald collect` reads them (none gone) and they stay in the rankings.
// Once the daemon is killed, a command serves the sandbox itself.
func TestSandboxIsOneNetworkAcrossProcesses(t *testing.T) {
	t.Parallel()
	needBinary(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "herald.yaml")
	cfg := `sandbox: true
database: {url: "sqlite:data/herald.db"}
http: {addr: "127.0.0.1:0"}
ranking: {collect_interval: 1h}
accounts:
  x_main: {network: twitter}
  fb_page: {network: facebook}
  toot: {network: mastodon}
  sky: {network: bluesky}
`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HERALD_CONFIG=" + cfgPath}
	d := startDaemon(t, dir, env, "run")
	api := sandboxAPI(t, d)

	// Three posts from three processes, to X, plus one to each other network.
	type sent struct{ account, id, permalink string }
	var posts []sent
	for i, acct := range []string{"x_main", "x_main", "x_main", "fb_page", "toot", "sky"} {
		code, out, errOut := runHeraldCmd(t, dir, env, "post", "--account", acct, "--format", "json",
			"--title", fmt.Sprintf("Story %d", i), "--link", fmt.Sprintf("https://news.example/story-%d", i))
		if code != 0 {
			t.Fatalf("post %d to %s: exit %d\n%s\n%s", i, acct, code, out, errOut)
		}
		var r struct {
			State, Permalink string
			RemoteID         string `json:"remote_id"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil || r.State != "sent" {
			t.Fatalf("post %d: %v %q", i, err, out)
		}
		if !strings.HasPrefix(r.Permalink, api+"/") {
			t.Errorf("post %d: permalink %q is not on the daemon's sandbox %s", i, r.Permalink, api)
		}
		posts = append(posts, sent{acct, r.RemoteID, r.Permalink})
	}
	ids := map[string]bool{}
	for _, p := range posts {
		if ids[p.id] {
			t.Errorf("remote id %s given twice: %+v", p.id, posts)
		}
		ids[p.id] = true
	}
	listed := map[string]sandboxPost{}
	for _, p := range sandboxPosts(t, api) {
		listed[p.ID] = p
	}
	for _, p := range posts {
		if got, ok := listed[p.id]; !ok || got.Account != p.account || got.Deleted {
			t.Errorf("the daemon's sandbox lists %s as %+v (listed: %v)", p.id, got, ok)
		}
	}

	// delete deletes in the daemon's emulation.
	if code, out, errOut := runHeraldCmd(t, dir, env, "delete", posts[0].id, "--yes"); code != 0 {
		t.Fatalf("delete: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, p := range sandboxPosts(t, api) {
		if p.ID == posts[0].id && !p.Deleted {
			t.Errorf("post %s deleted by herald delete is still live in the daemon's sandbox", p.ID)
		}
	}

	// A restart keeps the network: same address, same posts.
	if code, _ := d.stop(t, syscall.SIGINT, 20*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGINT:\n%s", code, d.logs.tail(20))
	}
	d = startDaemon(t, dir, env, "run")
	if again := sandboxAPI(t, d); again != api {
		t.Errorf("after a restart the sandbox serves on %s, before on %s", again, api)
		api = again
	}
	if got := len(sandboxPosts(t, api)); got != len(posts) {
		t.Errorf("after a restart the sandbox lists %d posts, want %d", got, len(posts))
	}

	code, out, errOut := runHeraldCmd(t, dir, env, "collect", "--format", "json")
	if code != 0 {
		t.Fatalf("collect: exit %d\n%s\n%s", code, out, errOut)
	}
	var pass struct{ Posts, Due, Read, Gone, Failed int }
	if err := json.Unmarshal([]byte(out), &pass); err != nil {
		t.Fatalf("collect: %v %q", err, out)
	}
	if pass.Gone != 0 || pass.Failed != 0 || pass.Read != len(posts)-1 {
		t.Errorf("collect after a restart: %+v; want the %d live posts read, none gone", pass, len(posts)-1)
	}

	code, out, errOut = runHeraldCmd(t, dir, env, "report", "--format", "json", "--since", "1d")
	if code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", code, out, errOut)
	}
	for i := 1; i < len(posts); i++ {
		if link := fmt.Sprintf("https://news.example/story-%d", i); !strings.Contains(out, link) {
			t.Errorf("the ranking after a restart lacks %s:\n%s", link, out)
		}
	}
	d.kill()

	// Without a daemon (this one killed, its address file left behind) a
	// command serves the sandbox from the same state.
	code, out, errOut = runHeraldCmd(t, dir, env, "post", "--account", "x_main", "--format", "json",
		"--title", "Later", "--link", "https://news.example/later")
	if code != 0 {
		t.Fatalf("post without a daemon: exit %d\n%s\n%s", code, out, errOut)
	}
	var r struct {
		RemoteID string `json:"remote_id"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || ids[r.RemoteID] || r.RemoteID == "" {
		t.Errorf("post without a daemon: remote id %q (%v), want a new one", r.RemoteID, err)
	}
}

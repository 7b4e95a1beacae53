package e2e

import (
	"encoding/json"
	"io"
	"net/http"
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

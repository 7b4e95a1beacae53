package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank/ranktest"
	"github.com/heraldhq/herald/internal/testkit"
)

// statusDesk is historyDesk with a feed that keeps failing, the Page paused
// and X held by a rate limit.
func statusDesk(t *testing.T) *desk {
	t.Helper()
	d := historyDesk(t)
	ctx := context.Background()
	st := d.w.Store
	polled := ranktest.T0.Add(-10 * time.Minute)
	srcs, err := st.ClaimSources(ctx, "desk", polled, time.Minute, 10)
	if err != nil || len(srcs) != 3 {
		t.Fatalf("claim sources: %d, %v", len(srcs), err)
	}
	for _, s := range srcs {
		r := herald.PollResult{SourceID: s.ID, Status: 200, Seeded: true, PolledAt: polled, NextPollAt: ranktest.T0.Add(time.Minute)}
		if s.Name == "business" {
			r.Status, r.Error, r.Failures = 503, "HTTP 503 Service Unavailable", 4
		}
		if err := st.SavePoll(ctx, "desk", r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PauseAccount(ctx, ranktest.FBAccount, "auth: the Page access token was revoked"); err != nil {
		t.Fatal(err)
	}
	if err := st.HoldAccount(ctx, ranktest.XAccount, ranktest.T0.Add(15*time.Minute), "rate limited"); err != nil {
		t.Fatal(err)
	}
	return d
}

// heraldStatus runs herald status, which exits 3 when no daemon runs, and
// returns its output with the test's directories as DIR.
func heraldStatus(t *testing.T, d *desk, wantCode int, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, append([]string{"--config", d.cfg, "status"}, args...)...)
	if code != wantCode {
		t.Fatalf("herald status %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, errOut)
	}
	if code == ExitNotRunning && !strings.Contains(errOut, "herald: the daemon is not running") {
		t.Errorf("herald status, not running: stderr %q", errOut)
	}
	out = strings.ReplaceAll(out, filepath.Dir(d.cfg), "CONFIGDIR")
	return strings.ReplaceAll(out, filepath.Dir(d.w.Path), "DBDIR")
}

func TestStatusGolden(t *testing.T) {
	d := statusDesk(t)
	golden(t, "status.golden", heraldStatus(t, d, ExitNotRunning))
	golden(t, "status.json.golden", heraldStatus(t, d, ExitNotRunning, "--format", "json"))
	golden(t, "status.csv.golden", heraldStatus(t, d, ExitNotRunning, "--format", "csv"))

	var rep struct {
		using
		statusReport
	}
	if err := json.Unmarshal([]byte(heraldStatus(t, d, ExitNotRunning, "--format", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Daemon.Running || rep.Config != "CONFIGDIR/herald.yaml" || rep.Database != "sqlite:DBDIR/herald.db" || rep.Sources.Total != 3 || rep.Sources.OK != 2 || len(rep.Sources.Failing) != 1 ||
		rep.Queue["pending"] != 1 || rep.Queue["skipped"] != 1 || len(rep.Accounts) != 2 {
		t.Errorf("status %+v", rep)
	}
	for _, a := range rep.Accounts {
		want := map[string]string{"fb_page": acctPaused, "x_main": acctHeld}[a.ID]
		if a.Status != want || a.LastPost == nil || a.LastPost.Permalink == "" {
			t.Errorf("%s: status %q, last post %+v; want %s and its last post", a.ID, a.Status, a.LastPost, want)
		}
	}
}

func TestStatusSeesARunningDaemon(t *testing.T) {
	d := newDesk(t, healthz(t), "")
	// A daemon answering on http.addr but using another database (another
	// installation) is not this one's.
	if out := heraldStatus(t, d, ExitNotRunning); !strings.Contains(out, "Daemon:    not running (no daemon uses this database; the one answering at http://127.0.0.1:") {
		t.Errorf("status with another installation's daemon on http.addr:\n%s", out)
	}
	// A daemon using this database (as herald run marks it) and answering.
	release, err := markDaemon("sqlite:" + d.w.Path)
	if err != nil {
		t.Fatal(err)
	}
	out := heraldStatus(t, d, ExitOK)
	if !strings.Contains(out, "Daemon:    running (it uses this database; http://127.0.0.1:") {
		t.Errorf("status:\n%s", out)
	}
	release()
	// Something else on http.addr is not taken for a daemon.
	d = newDesk(t, strings.TrimPrefix(serveText(t, "<html>a web site</html>"), "http://"), "")
	if out := heraldStatus(t, d, ExitNotRunning); !strings.Contains(out, "not running") || !strings.Contains(out, "not a Herald daemon") {
		t.Errorf("status with another server on http.addr:\n%s", out)
	}
	// Nothing on http.addr: not running, quickly.
	d = newDesk(t, testkit.FreeAddr(t), "")
	start := time.Now()
	if out := heraldStatus(t, d, ExitNotRunning); !strings.Contains(out, "not running") || !strings.Contains(out, "connection refused") {
		t.Errorf("status with nothing on http.addr:\n%s", out)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("status took %s with no daemon", el)
	}
}

func TestHealthzURL(t *testing.T) {
	testkit.Table(t, "healthzURL", healthzURL, map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/healthz",
		":8080":          "http://127.0.0.1:8080/healthz",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/healthz",
		"[::]:9000":      "http://127.0.0.1:9000/healthz",
		"[::1]:9000":     "http://[::1]:9000/healthz",
		"herald.lan:80":  "http://herald.lan:80/healthz",
	})
}

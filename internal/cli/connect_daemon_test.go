package cli

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/testkit"
)

// connectX2 connects x_main with OAuth 2.0 through the binary (--manual).
func (w *connectWorld) connectX2(t *testing.T) {
	t.Helper()
	term := w.connect(t, "--manual")
	term.waitFor("Paste the URL")
	term.typeKeys(approve(t, authorizeIn(t, term)).String() + "\r")
	term.succeeds(t, "connect")
}

// accountPaused reports whether `herald accounts` shows x_main paused.
func (w *connectWorld) accountPaused(t *testing.T) bool {
	t.Helper()
	rows := jsonRows[accountRow](t, runHerald(t, w.bin, "-c", w.cfg, "accounts", "--format", "json"), "accounts")
	r, found := byKey(rows, accountID)["x_main"]
	return found && r.Status == acctPaused
}

// TestDaemonResumesAfterConnect: a running daemon whose account was paused
// by a refused token posts again, without a restart, within 5 s of
// `herald accounts connect`.
func TestDaemonResumesAfterConnect(t *testing.T) {
	w := newConnectWorld(t)
	w.connectX2(t)

	daemon := exec.Command(w.bin, "-c", w.cfg, "--log-format", "json", "run")
	daemon.Env = append(os.Environ(), "HERALD_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(freePort(t)))
	logs := &testkit.Buffer{}
	daemon.Stdout, daemon.Stderr = logs, logs
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = daemon.Process.Kill()
		_ = daemon.Wait()
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	})

	// The user revokes the app: the next post is refused and pauses x_main.
	emulatortest.ExpireUser(w.x, "4242")
	// (herald post fails: the post waits, x_main paused.)
	_ = exec.Command(w.bin, "-c", w.cfg, "post", "--account", "x_main", "--link", "https://example.com/paused",
		"--title", "Paused", "--wait", "0s").Run()
	deadline := time.Now().Add(30 * time.Second)
	for !w.accountPaused(t) {
		if time.Now().After(deadline) {
			t.Fatal("x_main was never paused")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := len(w.x.PostsByUser("4242")); n != 0 {
		t.Fatalf("X holds %d posts before the new connect", n)
	}

	w.connectX2(t)
	connected := time.Now()
	for len(w.x.PostsByUser("4242")) == 0 {
		if time.Since(connected) > 5*time.Second {
			t.Fatalf("the daemon did not post within 5 s of connect")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The daemon logs the post once X has answered.
	for !strings.Contains(logs.String(), `"msg":"post sent"`) {
		if time.Since(connected) > 20*time.Second {
			t.Fatal("the daemon did not log the post it sent")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConnectedCredentialsOnPostgreSQL: credentials connected by one
// instance are used by two instances sharing the PostgreSQL database,
// with X's single-use refresh tokens rotating between them.
func TestConnectedCredentialsOnPostgreSQL(t *testing.T) {
	dsn := pgSchema(t)
	clearEnv(t)
	bin := buildHerald(t)
	x, srv := emulator.StartX(emulator.XOptions{AccessTokenLifetime: time.Minute}) // every call refreshes
	t.Cleanup(srv.Close)
	port := freePort(t)
	x.AddUser(emulator.XUser{ID: "4242", Username: "daily_news"})
	x.SignIn("4242")
	x.AddApp(emulator.XApp{ClientID: "client-1", CallbackURLs: []string{"http://127.0.0.1:" + strconv.Itoa(port) + "/callback"}})
	config := func(instance string) string {
		return writeConfig(t, `
database: {url: "`+dsn+`"}
dispatch: {instance_id: `+instance+`}
accounts:
  x_main: {network: twitter, api_base_url: "`+srv.URL+`", client_id: client-1}
`)
	}
	w := &connectWorld{bin: bin, x: x, url: srv.URL, cfg: config("one"), port: port}
	w.connectX2(t)
	two := config("two")
	for i, cfg := range []string{w.cfg, two, w.cfg, two} {
		runHerald(t, bin, "-c", cfg, "post", "--account", "x_main", "--link", "https://example.com/pg/"+strconv.Itoa(i),
			"--title", "Shared "+strconv.Itoa(i))
		if n := len(x.PostsByUser("4242")); n != i+1 {
			t.Fatalf("after instance %d's post X holds %d posts", i%2+1, n)
		}
	}
}

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

	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
)

// runHerald runs the built binary with args in dir and returns its exit
// status and output.
func runHerald(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := heraldCmd(t, dir, nil, args...)
	out, _ := cmd.CombinedOutput()
	return cmd.ProcessState.ExitCode(), string(out)
}

// paused reports whether account id of the database at path is paused.
func paused(t *testing.T, path, id string) bool {
	t.Helper()
	return inStore(t, path, func(ctx context.Context, db *sqlite.DB) bool {
		a, err := db.GetAccount(ctx, id)
		return err == nil && a.Paused
	})
}

// TestReloadTakesAValidConfigurationAndRefusesAnInvalidOne: herald reload
// (and SIGHUP) make the running daemon take a new source and new targets
// without a restart; an invalid configuration is refused by the command
// and, sent by SIGHUP, by the daemon, which logs every problem and goes on
// with the running one.
func TestReloadTakesAValidConfigurationAndRefusesAnInvalidOne(t *testing.T) {
	t.Parallel()
	needBinary(t)
	feeds := startFeeds(t, "world", "business")
	e := startEmulations(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	addr := testkit.FreeAddr(t)
	path := filepath.Join(dir, "herald.yaml")
	write := func(sources string) {
		t.Helper()
		body := fmt.Sprintf("database: {url: %q}\nhttp: {addr: %q}\nlog: {format: json}\nfeed: {timeout: 2s}\nsources:\n%s%s",
			"sqlite:"+db, addr, sources, e.accountsYAML())
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	source := func(name, interval string, targets ...string) string {
		return fmt.Sprintf("  - {name: %s, url: %q, interval: %s, targets: [%s]}\n", name, feeds.url(name), interval,
			strings.Join(targets, ", "))
	}
	posts := func(id string) int { return len(e.x.PostsByUser(e.users[id].ID)) }
	n := 0
	publish := func(feed string) {
		n++
		feeds.add(feed, story{Title: fmt.Sprintf("Story %d", n), Link: fmt.Sprintf("https://news.example/%s/%d", feed, n),
			GUID: fmt.Sprintf("%s-%d", feed, n), Published: time.Now()})
	}

	write(source("world", "100ms", "x_one"))
	d := startDaemon(t, dir, nil, "--config", path, "run")
	testkit.WaitFor(t, "world's backlog recorded", 15*time.Second, func() bool { return seeded(t, db, "world") })
	publish("world")
	testkit.WaitFor(t, "the first story posted", 15*time.Second, func() bool { return posts("x_one") == 1 })

	// A new source and a new target for the old one.
	write(source("world", "100ms", "x_one", "x_two") + source("business", "100ms", "x_one"))
	if code, out := runHerald(t, dir, "--config", path, "reload"); code != 0 || !strings.Contains(out, "runs the configuration") {
		t.Fatalf("herald reload: exit %d:\n%s\n%s", code, out, d.logs.tail(20))
	}
	if len(d.logs.entries("configuration reloaded")) != 1 {
		t.Errorf("the daemon did not log the reload:\n%s", d.logs.tail(20))
	}
	testkit.WaitFor(t, "business's backlog recorded", 15*time.Second, func() bool { return seeded(t, db, "business") })
	publish("business")
	publish("world")
	testkit.WaitFor(t, "the stories of the new configuration posted", 15*time.Second, func() bool {
		return posts("x_one") == 3 && posts("x_two") == 1
	})

	// Refused credentials pause x_two; once they work again, herald accounts
	// resume has the daemon read the configuration again and send.
	emulatortest.ExpireUser(e.x, e.users["x_two"].ID)
	publish("world")
	testkit.WaitFor(t, "x_two paused", 15*time.Second, func() bool { return paused(t, db, "x_two") })
	e.x.AddUser(e.users["x_two"])
	if code, out := runHerald(t, dir, "--config", path, "accounts", "resume", "x_two"); code != 0 || !strings.Contains(out, "reloaded") {
		t.Fatalf("herald accounts resume: exit %d:\n%s\n%s", code, out, d.logs.tail(20))
	}
	testkit.WaitFor(t, "the paused story posted", 15*time.Second, func() bool { return posts("x_two") == 2 })
	if n := len(d.logs.entries("configuration reloaded")); n != 2 {
		t.Errorf("%d reloads logged, want 2 (reload, resume)", n)
	}

	// An invalid configuration: the command refuses to send it, and the
	// daemon, signalled directly, keeps the running one.
	write(source("world", "-1s", "nobody") + source("business", "100ms", "x_one"))
	if code, out := runHerald(t, dir, "--config", path, "reload"); code != 2 || !strings.Contains(out, "interval") {
		t.Errorf("herald reload of an invalid configuration: exit %d, want 2:\n%s", code, out)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	msg := "reload refused: invalid configuration; the running one is kept"
	testkit.WaitFor(t, "the reload refused", 15*time.Second, func() bool { return len(d.logs.entries(msg)) >= 2 })
	var problems []string
	for _, e := range d.logs.entries(msg) {
		problems = append(problems, fmt.Sprint(e["problem"]))
	}
	if all := strings.Join(problems, "\n"); !strings.Contains(all, "sources[0].interval") || !strings.Contains(all, "nobody") {
		t.Errorf("not every problem was logged:\n%s", all)
	}
	publish("business")
	testkit.WaitFor(t, "a story posted under the running configuration", 15*time.Second, func() bool { return posts("x_one") == 5 })
	if d.exited() {
		t.Fatalf("the daemon stopped:\n%s", d.logs.tail(20))
	}
	if code, _ := d.stop(t, syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, d.logs.tail(20))
	}
}

// TestPostLeavesTheJobToTheDaemon: herald post beside the daemon of its
// configuration does not send itself: the daemon sends the post, so the
// account's posts stay one at a time and in order.
func TestPostLeavesTheJobToTheDaemon(t *testing.T) {
	t.Parallel()
	needBinary(t)
	feeds := startFeeds(t, "world")
	e := startEmulations(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	path := filepath.Join(dir, "herald.yaml")
	body := fmt.Sprintf("database: {url: %q}\nhttp: {addr: %q}\nlog: {format: json}\nsources:\n  - {name: world, url: %q, targets: [x_one]}\n%s",
		"sqlite:"+db, testkit.FreeAddr(t), feeds.url("world"), e.accountsYAML())
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, dir, nil, "--config", path, "run")
	testkit.WaitFor(t, "the daemon's start", 15*time.Second, func() bool { return len(d.logs.entries("dispatcher started")) == 1 })
	code, out := runHerald(t, dir, "--config", path, "post", "--account", "x_one", "--title", "Breaking", "--link",
		"https://news.example/breaking")
	if code != 0 || !strings.Contains(out, "Posted to x_one") {
		t.Fatalf("herald post: exit %d:\n%s", code, out)
	}
	if sent := d.logs.entries("post sent"); len(sent) != 1 || sent[0]["account"] != "x_one" {
		t.Errorf("the daemon did not send the post (%d sends logged):\n%s", len(sent), d.logs.tail(10))
	}
	if n := len(e.x.PostsByUser(e.users["x_one"].ID)); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
	if code, _ := d.stop(t, syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, d.logs.tail(20))
	}
}

package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// stateConfig is a sandbox: true configuration with an account on every
// network and its database (and so the sandbox's state) in dir.
func stateConfig(t *testing.T, dir string) *config.Config {
	t.Helper()
	// The sandbox keeps its state for an existing database only.
	if err := os.WriteFile(filepath.Join(dir, "herald.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := wireConfig()
	cfg.Sandbox = true
	cfg.Database.URL = "sqlite:" + filepath.Join(dir, "herald.db")
	cfg.Accounts["toot"] = config.Account{Network: config.NetworkMastodon, InstanceURL: "https://mastodon.example"}
	cfg.Accounts["sky_desk"] = config.Account{Network: config.NetworkBluesky, PDSURL: "https://bsky.social"}
	return cfg
}

// TestSandboxStateOutlivesTheProcess: a sandbox started again from the same
// data directory knows every earlier post (same ids, still live, its
// engagement readable through the publishers), serves on the same address,
// and gives new posts new ids; the state file is private.
func TestSandboxStateOutlivesTheProcess(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	publish := func(cfg *config.Config, text string) (map[string]herald.Receipt, string) {
		t.Helper()
		sb := mustSandbox(t, cfg)
		defer sb.Close()
		pubs := mustPublishers(t, cfg)
		out := map[string]herald.Receipt{}
		for _, id := range accountIDs(cfg) {
			r, err := pubs[id].Publish(ctx, herald.Message{Text: text + " https://news.example/" + id, Link: "https://news.example/" + id})
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			out[id] = r
		}
		return out, sb.srv.URL
	}
	first, url1 := publish(stateConfig(t, dir), "First")

	cfg := stateConfig(t, dir)
	sb := mustSandbox(t, cfg)
	if sb.srv.URL != url1 {
		t.Errorf("started again on %s, first on %s", sb.srv.URL, url1)
	}
	pubs := mustPublishers(t, cfg)
	for _, id := range accountIDs(cfg) {
		counts, gone, err := pubs[id].Engagement(ctx, []string{first[id].RemoteID})
		if err != nil || len(gone) != 0 {
			t.Errorf("%s: engagement of the earlier post: %v, gone %v, %v", id, counts, gone, err)
		}
		if _, err := pubs[id].Check(ctx); err != nil {
			t.Errorf("%s: check with the kept credentials: %v", id, err)
		}
	}
	if n := len(sb.posts()); n != len(first) {
		t.Errorf("the sandbox lists %d posts after a restart, want %d", n, len(first))
	}
	sb.Close()

	second, _ := publish(stateConfig(t, dir), "Second")
	for id, r := range second {
		if r.RemoteID == first[id].RemoteID {
			t.Errorf("%s: remote id %s given twice", id, r.RemoteID)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "herald.db.sandbox.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, %v; want mode 0600", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "herald.db.sandbox.addr")); !os.IsNotExist(err) {
		t.Errorf("the address file outlives the sandbox: %v", err)
	}

	// A new database starts a new sandbox: the demo replays.
	cfg = stateConfig(t, dir)
	if err := os.Remove(filepath.Join(dir, "herald.db")); err != nil {
		t.Fatal(err)
	}
	sb = mustSandbox(t, cfg)
	defer sb.Close()
	if n := len(sb.posts()); n != 0 {
		t.Errorf("with a new database the sandbox starts with %d posts, want none", n)
	}
}

// TestSandboxJoinsTheOneServed: while one process serves the sandbox,
// another of the same installation posts into it rather than starting its
// own; an account the sandbox does not know is refused by name.
func TestSandboxJoinsTheOneServed(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	serving := stateConfig(t, dir)
	sb := mustSandbox(t, serving)
	t.Cleanup(sb.Close)

	cfg := stateConfig(t, dir)
	joined := mustSandbox(t, cfg)
	defer joined.Close()
	if joined.remote != sb.srv.URL || joined.emulations != nil {
		t.Fatalf("joined %q, want the sandbox at %s", joined.remote, sb.srv.URL)
	}
	pubs := mustPublishers(t, cfg)
	r, err := pubs["x_main"].Publish(ctx, herald.Message{Text: "Joined https://news.example/j", Link: "https://news.example/j"})
	if err != nil || !strings.HasPrefix(r.Permalink, sb.srv.URL+"/") {
		t.Fatalf("post through the served sandbox: %+v, %v", r, err)
	}
	if p, ok := sb.X.Post(r.RemoteID); !ok || p.Deleted {
		t.Errorf("the serving sandbox lacks post %s", r.RemoteID)
	}
	if err := pubs["x_main"].Delete(ctx, r.RemoteID); err != nil {
		t.Fatal(err)
	}
	if p, _ := sb.X.Post(r.RemoteID); !p.Deleted {
		t.Errorf("post %s deleted through the served sandbox is still live there", r.RemoteID)
	}

	extra := stateConfig(t, dir)
	extra.Accounts["new_one"] = config.DefaultAccount(config.NetworkTwitter)
	if _, err := startSandbox(extra, nil); err == nil || !strings.Contains(err.Error(), `"new_one"`) {
		t.Errorf("an account the served sandbox lacks: %v, want a refusal naming it", err)
	}
}

// TestDaemonDoesNotLeanOnACommandsSandbox: a daemon starting while a
// command serves the sandbox waits for the command to end and then serves
// the sandbox itself (posts of the command included), rather than post
// through an address that dies with the command.
func TestDaemonDoesNotLeanOnACommandsSandbox(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	cmdCfg := stateConfig(t, dir)
	cmd := mustSandbox(t, cmdCfg)
	pubs := mustPublishers(t, cmdCfg)
	r, err := pubs["fb_page"].Publish(ctx, herald.Message{Text: "Command", Link: "https://news.example/c"})
	if err != nil {
		t.Fatal(err)
	}

	// While the command serves, a daemon does not join it (it would wait,
	// here until its context ends), and another command does.
	files, _ := sandboxFilesOf(cmdCfg)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if f, remote, err := claimSandbox(cancelled, files, roleDaemon); f != nil || remote != "" || !errors.Is(err, context.Canceled) {
		t.Errorf("a daemon claiming a command's sandbox: %v, %q, %v; want it to wait", f, remote, err)
	}
	if _, remote, err := claimSandbox(cancelled, files, roleCommand); remote != cmd.srv.URL || err != nil {
		t.Errorf("a command claiming a command's sandbox: %q, %v; want %s", remote, err, cmd.srv.URL)
	}

	// Once the command ends, the daemon serves the sandbox, the command's
	// posts included.
	cmd.Close()
	daemon, err := startDaemonSandbox(stateConfig(t, dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	if daemon.remote != "" || daemon.served == nil {
		t.Fatalf("the daemon posts through %q", daemon.remote)
	}
	if p, ok := daemon.Graph.Post(r.RemoteID); !ok || p.Deleted {
		t.Errorf("the daemon's sandbox lacks the command's post %s", r.RemoteID)
	}
}

// TestSandboxCommandJoinsHeraldSandbox: with `herald sandbox` serving a
// data directory, a sandbox: true command of the same database posts to
// it, with the sandbox's fixed credentials from the state file.
func TestSandboxCommandJoinsHeraldSandbox(t *testing.T) {
	served := sandboxCmdConfig()
	url := startSandboxCmd(t, served, io.Discard) // its database in a temporary directory
	files, _ := sandboxFilesOf(served)
	for i := 0; ; i++ { // until it has announced itself
		if _, _, ok := liveSandbox(context.Background(), files); ok {
			break
		}
		if i == 500 {
			t.Fatal("herald sandbox wrote no address file")
		}
		time.Sleep(10 * time.Millisecond)
	}

	cfg := sandboxCmdConfig()
	cfg.Sandbox, cfg.Database.URL = true, served.Database.URL
	sb := mustSandbox(t, cfg)
	defer sb.Close()
	if sb.remote != url {
		t.Fatalf("the command serves its own sandbox (%q), not herald sandbox's at %s", sb.remote, url)
	}
	if got := cfg.Accounts["toot"].AccessToken; got != "sandbox-toot-access_token" {
		t.Errorf("toot's credential %q, want herald sandbox's fixed one", got)
	}
	pubs := mustPublishers(t, cfg)
	for _, id := range accountIDs(cfg) {
		if _, err := pubs[id].Check(context.Background()); err != nil {
			t.Errorf("%s: check through herald sandbox: %v", id, err)
		}
	}
}

// mustSandbox starts cfg's sandbox, or fails the test; the caller closes it.
func mustSandbox(t *testing.T, cfg *config.Config) *sandbox {
	t.Helper()
	sb, err := startSandbox(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// mustPublishers builds cfg's publishers (over a started sandbox), or fails
// the test.
func mustPublishers(t *testing.T, cfg *config.Config) map[string]herald.Publisher {
	t.Helper()
	pubs, err := buildPublishers(context.Background(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pubs
}

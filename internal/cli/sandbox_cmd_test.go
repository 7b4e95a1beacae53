package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// sandboxCmdConfig is what `herald sandbox` reads: one account on each
// network, none with credentials (accounts sorted: fb_page, sky_desk,
// toot, x_main).
func sandboxCmdConfig() *config.Config {
	cfg := config.Default()
	cfg.Accounts = map[string]config.Account{
		"x_main":   config.DefaultAccount(config.NetworkTwitter),
		"fb_page":  config.DefaultAccount(config.NetworkFacebook),
		"toot":     config.DefaultAccount(config.NetworkMastodon),
		"sky_desk": config.DefaultAccount(config.NetworkBluesky),
	}
	return cfg
}

// startSandboxCmd serves cfg's sandbox on a free loopback port until the
// test ends, and returns its URL.
func startSandboxCmd(t *testing.T, cfg *config.Config, logs io.Writer) string {
	t.Helper()
	cfg.Database.URL = "sqlite:" + filepath.Join(t.TempDir(), "herald.db") // the state file goes beside it
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveSandbox(ctx, cfg, ln, slog.New(slog.NewJSONHandler(logs, nil))) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sandbox: %v, want a clean stop", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("sandbox did not stop within 10 s of its context's end")
		}
	})
	return "http://" + ln.Addr().String()
}

// TestSandboxCmdSharesOneEmulation: two sets of publishers, as two herald
// run instances would build them from a configuration holding the
// documented fixed credentials, post to one `herald sandbox` on every
// network; each set reads the engagement of the other's posts, and
// /sandbox/posts lists every post under its account.
func TestSandboxCmdSharesOneEmulation(t *testing.T) {
	var logs bytes.Buffer
	url := startSandboxCmd(t, sandboxCmdConfig(), &logs)

	// The instances' configuration: the fixed credentials, written out as
	// `herald sandbox --help` documents them, every base URL the sandbox.
	inst := sandboxCmdConfig()
	x := inst.Accounts["x_main"]
	x.APIBaseURL = url
	x.ConsumerKey, x.ConsumerSecret = "sandbox-x_main-consumer_key", "sandbox-x_main-consumer_secret"
	x.AccessToken, x.AccessTokenSecret = "sandbox-x_main-access_token", "sandbox-x_main-access_token_secret"
	fb := inst.Accounts["fb_page"]
	fb.GraphBaseURL, fb.PageID, fb.PageAccessToken = url, "990000000000001", "sandbox-fb_page-page_access_token"
	toot := inst.Accounts["toot"]
	toot.InstanceURL, toot.AccessToken = url, "sandbox-toot-access_token"
	sky := inst.Accounts["sky_desk"]
	sky.PDSURL, sky.Handle, sky.AppPassword = url, "sky-desk.sandbox.test", "sandbox-sky_desk-app_password"
	inst.Accounts = map[string]config.Account{"x_main": x, "fb_page": fb, "toot": toot, "sky_desk": sky}
	if err := inst.Validate(); err != nil {
		t.Fatalf("the instances' configuration: %v", err)
	}

	ctx := context.Background()
	one := mustPublishers(t, inst)
	two := mustPublishers(t, inst)
	sent := map[string]string{} // account → remote ID
	for i, id := range accountIDs(inst) {
		pub := one[id]
		if i%2 == 1 {
			pub = two[id]
		}
		if _, err := pub.Check(ctx); err != nil {
			t.Errorf("%s: check against the sandbox: %v", id, err)
			continue
		}
		link := "https://news.example/" + id
		r, err := pub.Publish(ctx, herald.Message{Text: "Bridge reopens " + link, Link: link, Title: "Bridge reopens"})
		if err != nil {
			t.Errorf("%s: publish: %v", id, err)
			continue
		}
		sent[id] = r.RemoteID
	}
	// Each post read back by the other set, as another instance's collector would.
	for i, id := range accountIDs(inst) {
		if sent[id] == "" {
			continue
		}
		pub := two[id]
		if i%2 == 1 {
			pub = one[id]
		}
		got, gone, err := pub.Engagement(ctx, []string{sent[id]})
		if _, ok := got[sent[id]]; err != nil || !ok || len(gone) > 0 {
			t.Errorf("%s: the other instance reads %v, gone %v, %v; want the post found", id, got, gone, err)
		}
	}

	resp, err := http.Get(url + "/sandbox/posts")
	if err != nil {
		t.Fatal(err)
	}
	var posts []sandboxPost
	err = json.NewDecoder(resp.Body).Decode(&posts)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/sandbox/posts: %d, %v", resp.StatusCode, err)
	}
	byAccount := map[string]sandboxPost{}
	for _, p := range posts {
		byAccount[p.Account] = p
	}
	for id, network := range map[string]string{"x_main": "twitter", "fb_page": "facebook", "toot": "mastodon", "sky_desk": "bluesky"} {
		p, ok := byAccount[id]
		if !ok || p.Network != network || p.ID != sent[id] || p.Link != "https://news.example/"+id {
			t.Errorf("%s: /sandbox/posts has %+v (found %v), want its %s post %s", id, p, ok, network, sent[id])
		}
	}
	if len(posts) != 4 {
		t.Errorf("/sandbox/posts lists %d posts, want 4", len(posts))
	}

	resp, err = http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", resp.StatusCode)
	}

	// Only the sandbox's credentials open it.
	x.AccessTokenSecret = "guessed"
	wrong := *inst
	wrong.Accounts = map[string]config.Account{"x_main": x}
	pubs := mustPublishers(t, &wrong)
	if _, err := pubs["x_main"].Check(ctx); err == nil {
		t.Error("a wrong access token secret was let in")
	}
	if !strings.Contains(logs.String(), `"x_main"`) || !strings.Contains(logs.String(), "never reach the real networks") {
		t.Errorf("the log does not name the accounts served:\n%s", logs.String())
	}
}

// TestSandboxCmdKeepsTheConfiguredCredentials: an account's own
// credentials in the configuration are the ones the sandbox accepts.
func TestSandboxCmdKeepsTheConfiguredCredentials(t *testing.T) {
	cfg := wireConfig() // x_main: ck/cs/at/ats; fb_page: page 42, page-token
	url := startSandboxCmd(t, cfg, io.Discard)
	inst := wireConfig()
	x, fb := inst.Accounts["x_main"], inst.Accounts["fb_page"]
	x.APIBaseURL, fb.GraphBaseURL = url, url
	inst.Accounts = map[string]config.Account{"x_main": x, "fb_page": fb}
	pubs := mustPublishers(t, inst)
	for _, id := range accountIDs(inst) {
		if _, err := pubs[id].Check(context.Background()); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

func TestSandboxCmdRefusesABadAddress(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, validConfig)
	code, _, errOut := run(t, "--config", path, "sandbox", "--addr", "127.0.0.1:http-alt-nope")
	if code != ExitUsage || !strings.Contains(errOut, "--addr") {
		t.Errorf("exit %d, stderr %q; want a usage error naming --addr", code, errOut)
	}
}

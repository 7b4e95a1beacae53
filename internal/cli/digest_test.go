package cli

import (
	"os"
	"strings"
	"testing"
)

// TestDigestPreviewAndRun previews and posts x_main's digest of the
// newsroom's stories on the X emulation: the preview prints the thread
// that run then posts, each post answering the one before; a second run
// posts nothing.
func TestDigestPreviewAndRun(t *testing.T) {
	w, _, cfg := newsroom(t)
	heraldOK(t, cfg, "collect")
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body = []byte(strings.Replace(string(body), "x_main: {network: twitter,",
		`x_main: {digest: {schedule: "0 0 * * *", count: 3}, network: twitter,`, 1))
	if err := os.WriteFile(cfg, body, 0o600); err != nil {
		t.Fatal(err)
	}

	want := expected(t, "shares", "")[:3]
	preview := heraldOK(t, cfg, "digest", "preview", "x_main")
	for i, key := range want {
		if !strings.Contains(preview, "Story "+key+" https://example.com/"+key) {
			t.Errorf("preview lacks story %d (%s):\n%s", i+1, key, preview)
		}
	}
	if !strings.Contains(preview, "--- post 1\nMost shared today\n\n1. Story "+want[0]) ||
		!strings.Contains(preview, "--- post 3 (reply to post 2)\n3. Story "+want[2]) ||
		!strings.Contains(preview, "--- cost: 3 post(s) with a link at $0.200: $0.600") {
		t.Errorf("preview:\n%s", preview)
	}

	before := len(w.X.Posts())
	out := heraldOK(t, cfg, "digest", "run", "x_main")
	posts := w.X.Posts()[before:]
	if len(posts) != 3 || strings.Count(out, " sent ") != 3 {
		t.Fatalf("run posted %d, said:\n%s", len(posts), out)
	}
	for i, p := range posts {
		if !strings.Contains(preview, p.Text) {
			t.Errorf("post %d %q is not what the preview showed", i+1, p.Text)
		}
		if i > 0 && p.InReplyTo != posts[i-1].ID || i == 0 && p.InReplyTo != "" {
			t.Errorf("post %d answers %q", i+1, p.InReplyTo)
		}
	}
	heraldOK(t, cfg, "digest", "run", "x_main")
	if n := len(w.X.Posts()) - before; n != 3 {
		t.Errorf("a second run posted again: %d posts", n)
	}
	code, _, errOut := run(t, "--config", cfg, "digest", "preview", "fb_page")
	if code != ExitUsage || !strings.Contains(errOut, "accounts.fb_page.digest.schedule") {
		t.Errorf("preview of an account without a digest: exit %d %s", code, errOut)
	}
}

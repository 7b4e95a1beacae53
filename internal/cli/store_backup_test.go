package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/web"
)

// TestStoreBackupWhileWebhooksArrive runs herald run (the built binary),
// sends it 100 signed webhooks one after the other, takes a backup with
// herald store backup while they arrive, and opens the copy: every article
// acknowledged (202) before the backup began is in it. herald store restore
// then refuses while the daemon runs, and puts the copy in place once it
// has stopped.
func TestStoreBackupWhileWebhooksArrive(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon")
	}
	clearEnv(t)
	bin := buildHerald(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	addr := testkit.FreeAddr(t)
	const secret = "backup-test-webhook-secret"
	cfg := filepath.Join(dir, "herald.yaml")
	body := fmt.Sprintf("sandbox: true\ndatabase: {url: %q}\nhttp: {addr: %q, public_url: %q, webhook_secret: %q}\n"+
		"accounts:\n  x_main: {network: twitter}\n", "sqlite:"+db, addr, "http://"+addr, secret)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	herald := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"--config", cfg}, args...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}

	var logs bytes.Buffer
	daemon := exec.Command(bin, "--config", cfg, "run")
	daemon.Stdout, daemon.Stderr = io.Discard, &logs
	stop := testkit.StartProcess(t, daemon, os.Interrupt).Stop
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for !healthy(ctx, "http://"+addr+"/healthz") {
		select {
		case <-ctx.Done():
			t.Fatalf("the daemon did not start:\n%s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}

	var mu sync.Mutex
	var acked []string
	sent := make(chan error, 1)
	go func() {
		for i := range 100 {
			link := fmt.Sprintf("https://news.example/2026/backup-%03d", i)
			payload := []byte(fmt.Sprintf(`{"url": %q, "title": "Story %d"}`, link, i))
			ts := fmt.Sprint(time.Now().Unix())
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/hooks/articles", bytes.NewReader(payload))
			if err != nil {
				sent <- err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(web.TimestampHeader, ts)
			req.Header.Set(web.SignatureHeader, web.Sign(secret, ts, payload))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				sent <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				sent <- fmt.Errorf("webhook %d answered %d", i, resp.StatusCode)
				return
			}
			mu.Lock()
			acked = append(acked, link)
			mu.Unlock()
		}
		sent <- nil
	}()

	// Once a good part has arrived, back up while the rest keeps coming.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 30 {
			break
		}
		select {
		case err := <-sent:
			t.Fatalf("webhooks ended before the backup: %v", err)
		case <-ctx.Done():
			t.Fatal("webhooks too slow")
		case <-time.After(5 * time.Millisecond):
		}
	}
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "copy.db")
	if out, err := herald("store", "backup", backup); err != nil {
		t.Fatalf("store backup: %v\n%s", err, out)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	t.Logf("%d webhooks acknowledged before the backup began, %d during and after it", len(before), during)

	copyDB, err := sqlite.Open(ctx, backup)
	if err != nil {
		t.Fatal(err)
	}
	for _, link := range before {
		if _, err := copyDB.FindArticle(ctx, link); err != nil {
			t.Errorf("the backup lacks %s, acknowledged before it began: %v", link, err)
		}
	}
	copyDB.Close()

	// Restore refuses while the daemon uses the database, then works.
	if out, err := herald("store", "restore", backup); err == nil || !strings.Contains(out, "a daemon (herald run) is using it") {
		t.Errorf("restore while the daemon runs: %v\n%s", err, out)
	}
	stop()
	if out, err := herald("store", "restore", backup); err != nil || !strings.Contains(out, "Restored") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	restored, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if _, err := restored.FindArticle(ctx, before[len(before)-1]); err != nil {
		t.Errorf("the restored database lacks %s: %v", before[len(before)-1], err)
	}
}

// healthy reports whether url answers 200.
func healthy(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

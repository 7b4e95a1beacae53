package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres/pgtest"
	"github.com/heraldhq/herald/internal/secrets"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
)

const plaintextWarning = "stored tokens and WebSub secrets are kept in plaintext in the database; set HERALD_SECRET_KEY (or secrets.key_file) to encrypt them"

// TestStoredSecretsSealedAtStart: without a key the daemon warns once that
// tokens are stored in plaintext; with HERALD_SECRET_KEY the rows stored in
// plaintext are encrypted at start, the database and its directory are
// private to Herald's user, and `store copy` carries the sealed rows.
func TestStoredSecretsSealedAtStart(t *testing.T) {
	needBinary(t)
	feeds := startFeeds(t, sections...)
	e := startEmulations(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	db := filepath.Join(data, "herald.db")
	cfgPath := writeConfig(t, dir, db, feeds, e, "")

	run := func(env ...string) *daemon {
		d := startDaemon(t, dir, env, "--config", cfgPath, "run")
		testkit.WaitFor(t, "the daemon running, the feeds seeded", 20*time.Second, func() bool {
			if d.exited() {
				t.Fatalf("herald run exited:\n%s", d.logs.tail(20))
			}
			return len(d.logs.entries("polling feeds")) > 0 && seeded(t, db, sections...)
		})
		if code, _ := d.stop(t, syscall.SIGTERM, 15*time.Second); code != 0 {
			t.Fatalf("exit %d:\n%s", code, d.logs.tail(20))
		}
		return d
	}
	d := run()
	if n := len(d.logs.entries(plaintextWarning)); n != 1 {
		t.Errorf("plaintext warning logged %d times, want once:\n%s", n, d.logs.tail(20))
	}
	for p, want := range map[string]os.FileMode{data: 0o700, db: 0o600} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want mode %o", p, st.Mode().Perm(), err, want)
		}
	}

	// Rows stored before a key was set.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveToken(ctx, "x_one", herald.Token{AccessToken: "plain-access", RefreshToken: "plain-refresh"}); err != nil {
		t.Fatal(err)
	}
	src, err := st.GetSource(ctx, "world")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetPush(ctx, src.ID, herald.PushState{HubURL: "https://hub.example/", State: "failed", Secret: "plain-hub-secret"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	key := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	d = run("HERALD_SECRET_KEY=" + key)
	if n := len(d.logs.entries(plaintextWarning)); n != 0 {
		t.Errorf("plaintext warning with a key set")
	}
	if len(d.logs.entries("stored secrets encrypted with the configured key")) != 1 {
		t.Errorf("no log of the rows encrypted:\n%s", d.logs.tail(20))
	}
	st, err = sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.LoadToken(ctx, "x_one")
	if err != nil {
		t.Fatal(err)
	}
	src, err = st.GetSource(ctx, "world")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if !secrets.Sealed(tok.AccessToken) || !secrets.Sealed(tok.RefreshToken) || !secrets.Sealed(src.PushSecret) {
		t.Fatalf("after a start with a key: token %+v, websub secret %q; want them sealed", tok, src.PushSecret)
	}
	k, _ := secrets.ParseKey(key)
	sealer, _ := secrets.NewSealer(k)
	if got, err := sealer.Open("oauth2:x_one:refresh", tok.RefreshToken); err != nil || got != "plain-refresh" {
		t.Errorf("sealed refresh token opens to %q, %v", got, err)
	}

	if os.Getenv(pgtest.EnvURL) == "" {
		t.Log("store copy not checked: " + pgtest.EnvURL + " not set")
		return
	}
	pgURL := pgSchema(t)
	cp := exec.Command(heraldBin, "store", "copy", "--from", "sqlite:"+db, "--to", pgURL)
	cp.Dir = dir
	cp.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("store copy: %v\n%s", err, out)
	}
	pg := openPG(t, pgURL)
	ptok, err := pg.LoadToken(ctx, "x_one")
	if err != nil || ptok.RefreshToken != tok.RefreshToken || ptok.AccessToken != tok.AccessToken {
		t.Errorf("store copy: token %+v, %v; want the sealed token carried as is", ptok, err)
	}
	psrc, err := pg.GetSource(ctx, "world")
	if err != nil || psrc.PushSecret != src.PushSecret || strings.Contains(psrc.PushSecret, "plain") {
		t.Errorf("store copy: websub secret %q, %v; want the sealed secret carried", psrc.PushSecret, err)
	}
}

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres/pgtest"
	"github.com/heraldhq/herald/internal/secrets"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
)

// TestSecretsStayOutOfLogsAndOutput runs the built binary at debug level
// with secrets planted wherever a configuration carries them (the database
// URL's password and sslpassword parameters, a feed URL's user info and
// access keys, a hub URL's key, the admin token and webhook secret), and
// reads every log line and the output of config check, sources, feeds list,
// status, migrate and the dashboard: none may contain any of them.
func TestSecretsStayOutOfLogsAndOutput(t *testing.T) {
	t.Parallel()
	needBinary(t)
	planted := map[string]string{
		"database password":    "PlantedPgPw1",
		"database sslpassword": "PlantedSslPw2",
		"feed user info":       "PlantedUserPw3",
		"feed apikey":          "PlantedApiKey4",
		"feed token":           "PlantedToken5",
		"hub secret":           "PlantedHubSecret6",
		"failing feed key":     "PlantedKey7",
		"admin token":          "PlantedAdminToken8-0123456789abcdef",
		"webhook secret":       "PlantedWebhook9-0123456789abcdef",
	}

	var hubCalls atomic.Int64
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hubCalls.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(hub.Close)
	hubURL := hub.URL + "/?secret=" + planted["hub secret"]
	feeds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/world.xml" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>World</title><link>https://news.example/</link><atom:link rel="hub" href="%s"/>
<item><title>One</title><link>https://news.example/world/one</link><guid>one</guid></item>
</channel></rss>`, strings.ReplaceAll(hubURL, "&", "&amp;"))
	}))
	t.Cleanup(feeds.Close)
	feedHost := strings.TrimPrefix(feeds.URL, "http://")

	e := startEmulations(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	dir := t.TempDir()
	// PostgreSQL takes its password in the URL; without one, SQLite.
	dbURL := "sqlite:" + filepath.Join(dir, "herald.db")
	if os.Getenv("HERALD_TEST_POSTGRES_URL") != "" {
		dbURL = pgSchema(t) + "&password=" + planted["database password"] + "&sslpassword=" + planted["database sslpassword"]
	} else {
		t.Log("HERALD_TEST_POSTGRES_URL not set: the database URL's secrets are not planted")
		delete(planted, "database password")
		delete(planted, "database sslpassword")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "database: {url: %q}\n", dbURL)
	fmt.Fprintf(&b, "http: {addr: %q, public_url: %q, admin_token: %q, webhook_secret: %q}\n",
		addr, "http://"+addr, planted["admin token"], planted["webhook secret"])
	b.WriteString("log: {format: json, level: debug}\nfeed: {timeout: 2s}\nsources:\n")
	fmt.Fprintf(&b, "  - {name: world, url: %q, interval: 200ms, websub: true, targets: [x_one]}\n",
		"http://reader:"+planted["feed user info"]+"@"+feedHost+"/world.xml?apikey="+planted["feed apikey"]+"&token="+planted["feed token"])
	fmt.Fprintf(&b, "  - {name: broken, url: %q, interval: 200ms, targets: [x_one]}\n",
		feeds.URL+"/missing.xml?key="+planted["failing feed key"])
	b.WriteString(e.accountsYAML())
	cfgPath := filepath.Join(dir, "herald.yaml")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	d := startDaemon(t, dir, nil, "--config", cfgPath, "run")
	testkit.WaitFor(t, "a poll of each feed", 20*time.Second, func() bool {
		if d.exited() {
			t.Fatalf("herald run exited:\n%s", d.logs.tail(20))
		}
		return len(d.logs.entries("poll failed")) > 0 && len(d.logs.entries("polled")) > 0
	})

	outputs := map[string]string{}
	for _, args := range [][]string{
		{"config", "check"}, {"sources"}, {"sources", "--format", "json"}, {"feeds", "list"},
		{"feeds", "list", "--format", "json"}, {"status"}, {"status", "--format", "json"}, {"migrate"},
	} {
		cmd := heraldCmd(t, dir, nil, append([]string{"--config", cfgPath}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("herald %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		outputs["herald "+strings.Join(args, " ")] = string(out)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	req.Header.Set("Authorization", "Bearer "+planted["admin token"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("dashboard: %s", resp.Status)
	}
	outputs["dashboard"] = string(page)

	if code, _ := d.stop(t, syscall.SIGTERM, 15*time.Second); code != 0 {
		t.Errorf("exit %d", code)
	}
	outputs["log"] = d.logs.String()

	for where, text := range outputs {
		for what, secret := range planted {
			if strings.Contains(text, secret) {
				i := strings.Index(text, secret)
				t.Errorf("%s shows the %s: …%s…", where, what, text[max(0, i-80):min(len(text), i+40)])
			}
		}
	}
	// The places were shown, masked: the test looked where the secrets would be.
	if _, pg := planted["database password"]; pg && !strings.Contains(outputs["log"], "password=***") {
		t.Error("the start-up log does not show the database URL, masked")
	}
	for where, want := range map[string]string{
		"herald config check":             "apikey=***",
		"herald sources":                  "token=***",
		"herald sources --format json":    "secret=***",
		"herald feeds list --format json": "apikey=***",
	} {
		if !strings.Contains(outputs[where], want) {
			t.Errorf("%s does not show %q:\n%s", where, want, outputs[where])
		}
	}
}

const plaintextWarning = "stored tokens and WebSub secrets are kept in plaintext in the database; set HERALD_SECRET_KEY (or secrets.key_file) to encrypt them"

// TestStoredSecretsSealedAtStart: without a key the daemon warns once that
// tokens are stored in plaintext; with HERALD_SECRET_KEY the rows stored in
// plaintext are encrypted at start, the database and its directory are
// private to Herald's user, and `store copy` carries the sealed rows.
func TestStoredSecretsSealedAtStart(t *testing.T) {
	t.Parallel()
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
	cp := heraldCmd(t, dir, nil, "store", "copy", "--from", "sqlite:"+db, "--to", pgURL)
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

package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/testkit"
)

// TestSecretsStayOutOfLogsAndOutput runs the built binary at debug level
// with secrets planted wherever a configuration carries them (the database
// URL's password and sslpassword parameters, a feed URL's user info and
// access keys, a hub URL's key, the admin token and webhook secret), and
// reads every log line and the output of config check, sources, feeds list,
// status, migrate and the dashboard: none may contain any of them.
func TestSecretsStayOutOfLogsAndOutput(t *testing.T) {
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
		cmd := exec.Command(heraldBin, append([]string{"--config", cfgPath}, args...)...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
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

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// run runs a command line in-process, as set up for t (appSetupOf), and
// returns its exit status and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := NewApp(&out, &errb)
	if v, ok := appSetups.Load(t); ok {
		s := v.(*appSetup)
		a.clock, a.daemonSends = s.clock, s.daemonSends
	}
	code = a.Run(context.Background(), args)
	return code, out.String(), errb.String()
}

// appSetup is how the commands a test runs are set up: the App's clock, and
// whether a daemon sends the posts.
type appSetup struct {
	clock       func() time.Time
	daemonSends bool
}

// appSetups holds each running test's appSetup, so that tests running at
// once each keep their own.
var appSetups sync.Map // *testing.T → *appSetup

// appSetupOf returns t's setup, made on first use and dropped when t ends.
func appSetupOf(t *testing.T) *appSetup {
	v, loaded := appSetups.LoadOrStore(t, &appSetup{})
	if !loaded {
		t.Cleanup(func() { appSetups.Delete(t) })
	}
	return v.(*appSetup)
}

// setClock sets the commands' clock for the test.
func setClock(t *testing.T, now func() time.Time) { appSetupOf(t).clock = now }

// requireTools makes a test whose tool is missing (a pseudo-terminal) fail
// instead of skipping, as CI asks with HERALD_REQUIRE_TOOLS=1. It is read
// once, before any test clears the HERALD_* variables.
var requireTools = os.Getenv("HERALD_REQUIRE_TOOLS") == "1"

// needTool skips the test when err says a tool it needs is missing, or
// fails it under HERALD_REQUIRE_TOOLS=1.
func needTool(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if requireTools {
		t.Fatalf("HERALD_REQUIRE_TOOLS=1 but %s: %v", what, err)
	}
	t.Skipf("%s: %v (set HERALD_REQUIRE_TOOLS=1 to fail instead)", what, err)
}

// clearEnv removes every HERALD_* variable for the test.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "HERALD_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
}

// writeConfig writes a configuration using a database in a temporary
// directory and returns its path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	body = strings.ReplaceAll(body, "$DIR", dir)
	path := filepath.Join(dir, "herald.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const validConfig = `
sandbox: true
database: {url: "sqlite:$DIR/data/herald.db"}
sources:
  - {name: world, url: "https://example.com/world.xml", targets: [x_main]}
accounts:
  x_main: {network: twitter, consumer_key: ck, consumer_secret: file-secret-1}
`

func TestHelpListsEveryCommand(t *testing.T) {
	clearEnv(t)
	code, out, _ := run(t, "--help")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	root := NewRoot(NewApp(&bytes.Buffer{}, &bytes.Buffer{}))
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			if sub.Short == "" || strings.Contains(sub.Short, "\n") {
				t.Errorf("%s: needs a one-line description", sub.CommandPath())
			}
			walk(sub)
		}
	}
	walk(root)
	for _, sub := range root.Commands() {
		if !strings.Contains(out, sub.Name()) || !strings.Contains(out, sub.Short) {
			t.Errorf("--help lacks %s (%q):\n%s", sub.Name(), sub.Short, out)
		}
	}
}

func TestExitCodes(t *testing.T) {
	clearEnv(t)
	good := writeConfig(t, validConfig)
	bad := writeConfig(t, "sources:\n  - {name: a, url: \"https://e.com/a\", interval: 0s, targets: [nobody]}\n")
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	badDB := writeConfig(t, "database: {url: \"sqlite:"+notDir+"/sub/herald.db\"}\n")
	postgres := writeConfig(t, "database: {url: \"postgres://u:pw@127.0.0.1:1/db\"}\n")
	missing := filepath.Join(t.TempDir(), "missing.yaml")

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"no command", nil, ExitOK, nil},
		{"help topic", []string{"help", "exit-codes"}, ExitOK, nil},
		{"unknown command", []string{"nope"}, ExitUsage, []string{`herald: unknown command "nope"`, "Run 'herald --help' for usage."}},
		{"unknown subcommand", []string{"config", "nope"}, ExitUsage, []string{`unknown command "nope" for "herald config"`}},
		{"unknown flag", []string{"version", "--bogus"}, ExitUsage, []string{"herald: unknown flag: --bogus"}},
		{"extra argument", []string{"version", "x"}, ExitUsage, []string{"herald: "}},
		{"missing file", []string{"-c", missing, "config", "check"}, ExitUsage, []string{missing, "no such file"}},
		{"invalid config", []string{"--config", bad, "config", "check"}, ExitUsage,
			[]string{"sources[0].interval: must be a positive duration", "sources[0].targets[0]: names no account"}},
		{"invalid flag value", []string{"-c", good, "--log-level", "loud", "config", "check"}, ExitUsage, []string{"log.level: "}},
		{"valid config", []string{"-c", good, "config", "check"}, ExitOK, []string{"configuration is valid"}},
		{"database failure", []string{"-c", badDB, "migrate"}, ExitFailure, []string{"herald: sqlite: open"}},
		{"postgres unreachable", []string{"-c", postgres, "migrate"}, ExitFailure, []string{"herald: postgres: open"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if tt.code != ExitOK && strings.Count(stderr, "herald: ") != 1 {
				t.Errorf("error not printed exactly once:\n%s", stderr)
			}
			if strings.Contains(stderr, "pw@") {
				t.Errorf("stderr shows a password:\n%s", stderr)
			}
		})
	}
}

func TestExitCodesTopic(t *testing.T) {
	clearEnv(t)
	_, out, _ := run(t, "help", "exit-codes")
	for _, want := range []string{"0  success", "1  failure", "2  usage or configuration error"} {
		if !strings.Contains(out, want) {
			t.Errorf("exit-codes lacks %q:\n%s", want, out)
		}
	}
}

func TestConfigCheckRedacts(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, validConfig)
	t.Setenv("HERALD_ACCOUNTS_X_MAIN_ACCESS_TOKEN", "env-secret-2")
	t.Setenv("HERALD_HTTP_ADMIN_TOKEN", "env-secret-3-0123456789abcdef")
	code, out, stderr := run(t, "-c", path, "config", "check")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, secret := range []string{"file-secret-1", "env-secret-2", "env-secret-3-0123456789abcdef"} {
		if strings.Contains(out+stderr, secret) {
			t.Errorf("output shows %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"consumer_secret: '***'", "access_token: '***'", "admin_token: '***'",
		"consumer_key: ck", "access_token_secret: \"\"", "name: world"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestConfigFromEnvironmentPath(t *testing.T) {
	clearEnv(t)
	t.Setenv("HERALD_CONFIG", writeConfig(t, validConfig))
	code, out, stderr := run(t, "config", "check")
	if code != ExitOK || !strings.Contains(out, "name: world") {
		t.Errorf("exit %d, HERALD_CONFIG not read:\n%s%s", code, out, stderr)
	}
	t.Setenv("HERALD_CONFIG", filepath.Join(t.TempDir(), "none.yaml"))
	if code, _, _ := run(t, "config", "check"); code != ExitUsage {
		t.Errorf("missing HERALD_CONFIG file: exit %d, want 2", code)
	}
}

func TestMigrate(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, validConfig)
	for range 2 { // the second run finds nothing to do
		code, out, stderr := run(t, "-c", path, "migrate")
		if code != ExitOK || !strings.Contains(out, "database is up to date: sqlite:") {
			t.Fatalf("exit %d:\n%s%s", code, out, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "data", "herald.db")); err != nil {
		t.Errorf("database not created: %v", err)
	}
}

func TestOpenStoreSyncsConfig(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, validConfig)
	a := NewApp(&bytes.Buffer{}, &bytes.Buffer{})
	root := NewRoot(a)
	if err := root.PersistentFlags().Parse([]string{"-c", path}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := a.OpenStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if s, err := st.GetSource(ctx, "world"); err != nil || s.URL != "https://example.com/world.xml" {
		t.Errorf("source world = %+v, %v", s, err)
	}
	if acc, err := st.GetAccount(ctx, "x_main"); err != nil || acc.Network != "twitter" {
		t.Errorf("account x_main = %+v, %v", acc, err)
	}
}

func TestVersion(t *testing.T) {
	clearEnv(t)
	code, out, _ := run(t, "version")
	if code != ExitOK || !strings.HasPrefix(out, "herald ") || !strings.Contains(out, "go:      go1.") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	_, out, _ = run(t, "version", "--json")
	var b BuildInfo
	if err := json.Unmarshal([]byte(out), &b); err != nil || b.Version == "" || b.GoVersion == "" {
		t.Errorf("version --json = %q: %+v %v", out, b, err)
	}
	_, out, _ = run(t, "--version")
	if out != "herald "+Build().Version+"\n" {
		t.Errorf("--version = %q", out)
	}
}

// runLogger runs a command that logs one line, with the given flags.
func runLogger(t *testing.T, stderr *os.File, args ...string) *App {
	t.Helper()
	a := NewApp(&bytes.Buffer{}, stderr)
	root := NewRoot(a)
	root.AddCommand(&cobra.Command{Use: "log-once", RunE: func(*cobra.Command, []string) error {
		a.Logger().Debug("hello", "source", "world")
		return nil
	}})
	root.SetArgs(append(args, "log-once"))
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLoggerFormat(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, validConfig)
	file := func() *os.File {
		f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	read := func(f *os.File) string {
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// Not a terminal: JSON; --log-level debug lets the line through.
	f := file()
	runLogger(t, f, "-c", path, "--log-level", "debug")
	var line map[string]any
	if err := json.Unmarshal([]byte(read(f)), &line); err != nil || line["msg"] != "hello" || line["source"] != "world" {
		t.Errorf("auto off a terminal: %q (%v)", read(f), err)
	}
	// Text when asked; at the default level the debug line is dropped.
	f = file()
	runLogger(t, f, "-c", path, "--log-format", "text")
	if read(f) != "" {
		t.Errorf("debug line logged at info: %q", read(f))
	}
	f = file()
	runLogger(t, f, "-c", path, "--log-format", "text", "--log-level", "debug")
	if got := read(f); !strings.Contains(got, "level=DEBUG msg=hello source=world") {
		t.Errorf("text format: %q", got)
	}

	// On a terminal, auto means text.
	_, tty := openPTY(t)
	a := runLogger(t, tty, "-c", path)
	if _, ok := a.Logger().Handler().(*slog.TextHandler); !ok {
		t.Errorf("auto on a terminal: handler %T, want text", a.Logger().Handler())
	}
	if !isTerminal(tty) || isTerminal(f) || isTerminal(&bytes.Buffer{}) {
		t.Error("isTerminal is wrong")
	}
}

func TestColor(t *testing.T) {
	clearEnv(t)
	_, tty := openPTY(t)
	a := NewApp(tty, tty)
	t.Setenv("NO_COLOR", "")
	if !a.Color() || !a.Interactive() {
		t.Error("no colour on a terminal")
	}
	t.Setenv("NO_COLOR", "1")
	if a.Color() {
		t.Error("colour despite NO_COLOR")
	}
	if NewApp(&bytes.Buffer{}, tty).Color() {
		t.Error("colour into a buffer")
	}
}

// TestConfigCheckShortSecrets: a guessable admin token or webhook secret is
// a configuration error that names its key.
func TestConfigCheckShortSecrets(t *testing.T) {
	for key, env := range map[string]string{"http.admin_token": "HERALD_HTTP_ADMIN_TOKEN", "http.webhook_secret": "HERALD_HTTP_WEBHOOK_SECRET"} {
		clearEnv(t)
		path := writeConfig(t, validConfig)
		t.Setenv(env, "only-23-characters-long")
		code, out, stderr := run(t, "-c", path, "config", "check")
		if code != ExitUsage || !strings.Contains(stderr, key+": must be at least 24 characters") ||
			strings.Contains(out+stderr, "only-23-characters-long") {
			t.Errorf("%s: exit %d\n%s%s", key, code, out, stderr)
		}
	}
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
)

// opsT0 is "now" in the tests of the operator commands.
var opsT0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// opsConfig has three feeds and two accounts whose APIs are never reached
// (the commands tested with it do not call them).
const opsConfig = `
database: {url: "sqlite:$DIR/herald.db"}
sources:
  - {name: world, url: "https://example.com/world.xml", targets: [x_main, fb_page]}
  - {name: sports, url: "https://example.com/sports.xml", targets: [x_main]}
  - {name: business, url: "https://example.com/business.xml", targets: [fb_page]}
accounts:
  x_main: {network: twitter, api_base_url: "http://127.0.0.1:9", consumer_key: ck, consumer_secret: cs-secret,
    access_token: at-secret, access_token_secret: ats-secret, cost: {monthly_budget: 5}}
  fb_page: {network: facebook, graph_base_url: "http://127.0.0.1:9/", page_id: "123", page_access_token: page-secret}
`

// opsWorld writes body (opsConfig when "") as the configuration, sets the
// clock to opsT0 and COLUMNS to 120, creates the database through the CLI
// (so sources and accounts are synced) and opens it for the test to fill.
func opsWorld(t *testing.T, body string) (cfg string, db *sqlite.DB) {
	t.Helper()
	clearEnv(t)
	t.Setenv("COLUMNS", "120")
	t.Setenv("NO_COLOR", "")
	setNow(t, opsT0)
	if body == "" {
		body = opsConfig
	}
	cfg = writeConfig(t, body)
	if code, _, errOut := run(t, "-c", cfg, "migrate"); code != ExitOK {
		t.Fatalf("migrate: exit %d: %s", code, errOut)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(filepath.Dir(cfg), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return cfg, db
}

// update makes golden rewrite the golden files (go test -update).
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// tempDirs matches a directory of t.TempDir.
var tempDirs = regexp.MustCompile(regexp.QuoteMeta(os.TempDir()) + `/Test[^/"\s]*/[0-9]+`)

// setNow fixes the commands' clock for the test.
func setNow(t *testing.T, at time.Time) {
	t.Helper()
	setClock(t, func() time.Time { return at })
}

// ok runs a command line against cfg and fails the test unless it exits 0.
func ok(t *testing.T, cfg string, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, append([]string{"-c", cfg}, args...)...)
	if code != ExitOK {
		t.Fatalf("herald %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fails runs a command line against cfg and checks its exit status and
// that stderr holds each of want.
func fails(t *testing.T, cfg string, code int, args []string, want ...string) (stdout, stderr string) {
	t.Helper()
	got, out, errOut := run(t, append([]string{"-c", cfg}, args...)...)
	if got != code {
		t.Errorf("herald %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, code, out, errOut)
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("herald %s: stderr lacks %q:\n%s", strings.Join(args, " "), w, errOut)
		}
	}
	return out, errOut
}

// usageCase is a command line refused as a usage error whose message
// holds want.
type usageCase struct {
	args []string
	want string
}

// refusesUsage runs herald -c cfg cmd ARGS for each case: each exits 2 with
// nothing on standard output and the error, printed once, holding want.
func refusesUsage(t *testing.T, cfg, cmd string, cases []usageCase) {
	t.Helper()
	for _, tc := range cases {
		out, errOut := fails(t, cfg, ExitUsage, append([]string{cmd}, tc.args...), tc.want)
		if out != "" || strings.Count(errOut, "herald: ") != 1 {
			t.Errorf("%s %v: stdout %q, stderr %q", cmd, tc.args, out, errOut)
		}
	}
}

// golden compares got with testdata/name, or rewrites it when the tests
// run with -update. The tests' temporary directories (where the
// configuration and the database a command names are) read TMP.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = tempDirs.ReplaceAllString(got, "TMP")
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// saveArticles records items from a source at the given time, announced
// (jobs for targets) when targets are given.
func saveArticles(t *testing.T, db *sqlite.DB, source string, at time.Time, targets []string, items ...herald.ArticleInput) []herald.SaveResult {
	t.Helper()
	ctx := context.Background()
	src, err := db.GetSource(ctx, source)
	if err != nil {
		src, err = db.PushSource(ctx, source)
	}
	if err != nil {
		t.Fatal(err)
	}
	for i := range items {
		items[i].Announce, items[i].Targets = len(targets) > 0, targets
	}
	res, err := db.SaveArticles(ctx, src.ID, items, at)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

type outRow struct {
	Name  string     `json:"name"`
	Count int        `json:"count"`
	Share float64    `json:"share"`
	Tags  []string   `json:"tags"`
	At    *time.Time `json:"at"`
	When  time.Time  `json:"when"`
	Inner struct {
		A string `json:"a"`
		B bool   `json:"b"`
	} `json:"inner"`
	Ptr    *struct{ X int } `json:"ptr"`
	Hidden string           `json:"-"`
	hidden string
}

func TestWriteRowsFormats(t *testing.T) {
	at := time.Date(2026, 3, 10, 11, 57, 0, 0, time.FixedZone("X", 3600))
	r := outRow{Name: "a,\"b\"", Count: 3, Share: 0.25, Tags: []string{"x", "y"}, At: &at, Hidden: "h", hidden: "h"}
	r.Inner.A, r.Inner.B = "in", true
	rows := []outRow{r, {Name: "z"}}
	cols := []column[outRow]{
		{head: "NAME", cell: func(r outRow) string { return r.Name }},
		{head: "AT", cell: func(r outRow) string { return when(r.At, opsT0) }},
	}
	t.Setenv("COLUMNS", "80")
	for _, tc := range []struct{ format, want string }{
		{"csv", "name,count,share,tags,at,when,inner_a,inner_b,ptr_X\n" +
			"\"a,\"\"b\"\"\",3,0.25,x;y,2026-03-10T10:57:00Z,,in,true,\n" +
			"z,0,0,,,,,false,\n"},
		{"table", "NAME   AT\n────────────────\na,\"b\"  1h 3m ago\nz      -\n"},
	} {
		a, out := testApp()
		if err := writeRows(a, tc.format, "rows", rows, cols, ""); err != nil {
			t.Fatal(err)
		}
		if out.String() != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.format, out, tc.want)
		}
	}
	a, out := testApp()
	if err := writeRows(a, "json", "rows", rows, cols, ""); err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || len(back) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	if back[1]["at"] != nil || back[0]["inner"].(map[string]any)["a"] != "in" || back[0]["hidden"] != nil {
		t.Errorf("json: %s", out)
	}
	// No rows: an empty array, a header alone, or the message.
	for format, want := range map[string]string{"json": "[]\n", "csv": "name,count,share,tags,at,when,inner_a,inner_b,ptr_X\n", "table": "Nothing.\n"} {
		a, out := testApp()
		if err := writeRows(a, format, "rows", []outRow(nil), cols, "Nothing."); err != nil || out.String() != want {
			t.Errorf("%s of nothing = %q, %v; want %q", format, out, err, want)
		}
	}
	a, _ = testApp()
	if err := writeRows(a, "xml", "rows", rows, cols, ""); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "--format") {
		t.Errorf("xml: %v", err)
	}
}

func testApp() (*App, *bytes.Buffer) {
	var out bytes.Buffer
	return NewApp(&out, &bytes.Buffer{}), &out
}

// TestTableOffATerminalIsNeverCut checks that a table written to a pipe or
// a file keeps every character, whatever $COLUMNS says (the cutting on a
// terminal is package table's, tested there and in TestQueueOnATerminal).
func TestTableOffATerminalIsNeverCut(t *testing.T) {
	type row struct{ id, title, url string }
	rows := []row{{"1", strings.Repeat("headline ", 20), "https://example.com/" + strings.Repeat("p", 80)}}
	cols := []column[row]{
		{head: "ID", right: true, cell: func(r row) string { return r.id }},
		{head: "TITLE", flex: true, cell: func(r row) string { return r.title }},
		{head: "URL", flex: true, cell: func(r row) string { return r.url }},
	}
	t.Setenv("COLUMNS", "40")
	a, out := testApp()
	if err := writeRows(a, "table", "rows", rows, cols, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), strings.TrimSpace(rows[0].title)) || !strings.Contains(out.String(), rows[0].url) ||
		strings.Contains(out.String(), "…") {
		t.Errorf("cut off a terminal:\n%s", out)
	}
}

func TestCleanCellKeepsEscapesOffTheTerminal(t *testing.T) {
	testkit.Table(t, "cleanCell", cleanCell, map[string]string{
		"plain":                    "plain",
		"red \x1b[31malert\x1b[0m": "red [31malert[0m",
		"two\nlines\r\n\tand tab":  "two lines and tab",
		"bell\a":                   "bell",
	})
}

func TestWhen(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-3 * time.Minute: "3m ago", -(25*time.Hour + 5*time.Minute): "1d 1h ago", 90 * time.Second: "in 1m",
		-20 * time.Second: "20s ago", 2*time.Hour + 30*time.Minute: "in 2h 30m",
	} {
		at := opsT0.Add(d)
		if got := when(&at, opsT0); got != want {
			t.Errorf("when(%s) = %q, want %q", d, got, want)
		}
	}
	if got := ago(time.Time{}, opsT0); got != "-" {
		t.Errorf("zero time: %q", got)
	}
	if !slices.Equal(outputFormats, []string{"table", "json", "csv"}) {
		t.Errorf("formats %v", outputFormats)
	}
}

// jsonList decodes into rows the list a command's JSON output carries under
// key, beside the configuration and the database (see writeJSON).
func jsonList(out []byte, key string, rows any) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(out, &obj); err != nil {
		return err
	}
	list, ok := obj[key]
	if !ok {
		return fmt.Errorf("no %q in %s", key, out)
	}
	return json.Unmarshal(list, rows)
}

// jsonRows decodes the list under key in a command's JSON output, or fails
// the test showing the output.
func jsonRows[T any](t *testing.T, out, key string) []T {
	t.Helper()
	var rows []T
	if err := jsonList([]byte(out), key, &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return rows
}

// byKey indexes rows by key(row).
func byKey[T any](rows []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(rows))
	for _, r := range rows {
		m[key(r)] = r
	}
	return m
}

// pluck returns f of each row, in order.
func pluck[T, V any](rows []T, f func(T) V) []V {
	out := make([]V, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

// usingOf decodes the configuration and database a command's JSON names.
func usingOf(t *testing.T, what, out string) using {
	t.Helper()
	var u struct {
		Config   *string `json:"config"`
		Database *string `json:"database"`
	}
	if err := json.Unmarshal([]byte(out), &u); err != nil || u.Config == nil || u.Database == nil {
		t.Errorf("%s: the JSON does not name the configuration and the database (%v):\n%s", what, err, out)
		return using{}
	}
	return using{Config: *u.Config, Database: *u.Database}
}

// Every command whose --format json reads Herald's state names the
// configuration file and the database it read, as status always did; a
// command given --format later must be added to one of the lists here.
func TestJSONNamesTheConfigurationAndDatabase(t *testing.T) {
	cfg, db := opsWorld(t, "")
	newsDesk(t, db)
	reads := map[string]struct {
		args []string
		code int
	}{
		"accounts":       {[]string{"accounts"}, ExitOK},
		"accounts list":  {[]string{"accounts", "list"}, ExitOK},
		"accounts check": {[]string{"accounts", "check"}, ExitFailure}, // the APIs are not reached
		"articles":       {[]string{"articles", "--since", "7d"}, ExitOK},
		"collect":        {[]string{"collect"}, ExitOK},
		"feeds list":     {[]string{"feeds", "list"}, ExitOK},
		"history":        {[]string{"history", "https://example.com/storm"}, ExitOK},
		"post":           {[]string{"post", "--account", "x_main", "--link", "https://example.com/storm"}, ExitOK}, // dry run
		"preview":        {[]string{"preview", "--url", "https://example.com/storm"}, ExitOK},
		"queue":          {[]string{"queue"}, ExitOK},
		"report":         {[]string{"report"}, ExitOK},
		"repost":         {[]string{"repost", "https://example.com/storm", "--dry-run"}, ExitOK},
		"sources":        {[]string{"sources"}, ExitOK},
		"status":         {[]string{"status"}, ExitNotRunning},
	}
	elsewhere := map[string]string{"delete": "TestDeleteRemovesThePostAndRecordsIt (a post on a network to delete)"}
	noState := map[string]bool{"feeds check": true}

	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if f := c.Flags().Lookup("format"); f != nil && strings.Contains(f.Usage, "json") {
			path := strings.TrimPrefix(c.CommandPath(), "herald ")
			if _, ok := reads[path]; !ok && elsewhere[path] == "" && !noState[path] {
				t.Errorf("herald %s --format json: not checked for the configuration and database it names", path)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(NewApp(io.Discard, io.Discard)))

	want := using{Config: cfg, Database: "sqlite:" + filepath.Join(filepath.Dir(cfg), "herald.db")}
	t.Setenv("HERALD_PUBLISH_DRY_RUN", "true") // post composes, sends nothing
	for path, c := range reads {
		code, out, errOut := run(t, append([]string{"-c", cfg}, append(c.args, "--format", "json")...)...)
		if code != c.code {
			t.Errorf("herald %s: exit %d, want %d\n%s", path, code, c.code, errOut)
			continue
		}
		if got := usingOf(t, "herald "+path, out); got != want {
			t.Errorf("herald %s names %+v, want %+v", path, got, want)
		}
	}
	// Commands that read no state name none.
	if out := ok(t, cfg, "version", "--json"); strings.Contains(out, `"database"`) {
		t.Errorf("herald version names a database:\n%s", out)
	}
}

// The database a command names is redacted as everywhere else.
func TestJSONRedactsTheDatabase(t *testing.T) {
	dsn := pgSchema(t) // before clearEnv drops HERALD_TEST_POSTGRES_URL
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "pg-s3cret") // the test server trusts loopback
	cfg, _ := opsWorld(t, strings.Replace(opsConfig, `"sqlite:$DIR/herald.db"`, strconv.Quote(u.String()), 1))
	out := ok(t, cfg, "queue", "--format", "json")
	if got := usingOf(t, "herald queue", out); got.Database != herald.RedactURL(u.String()) || strings.Contains(out, "pg-s3cret") {
		t.Errorf("database %q, want %q:\n%s", got.Database, herald.RedactURL(u.String()), out)
	}
}

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/nettest"
)

// heraldBinary is the herald command, built once on first need.
var heraldBinary = &testkit.Binary{Name: "herald", Pkg: "./cmd/herald", Dir: repoRoot()}

// parallel is how many tests run at once unless -parallel says otherwise:
// more than the machine has cores, as the tests mostly wait (on child
// processes, loopback servers and PostgreSQL), and each has its own
// directory, database or schema, and ports.
const parallel = 6

func TestMain(m *testing.M) {
	testkit.DefaultParallel(parallel)
	testkit.Main(m, heraldBinary)
}

// repoRoot is the module's root directory (this package is internal/e2e).
func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// needBinary builds the herald binary once per test run (skipped with -short).
func needBinary(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	heraldBinary.Path(t)
}

// heraldCmd is the built binary with args, run in dir with a clean
// environment (PATH and a HOME of the test's own) plus env.
func heraldCmd(t *testing.T, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(heraldBinary.Path(t), args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	return cmd
}

// story is one item of a served feed.
type story struct {
	Title     string
	Link      string
	GUID      string
	Published time.Time
}

// feedServer serves RSS feeds at /{name}.xml whose items the test adds
// while Herald polls them, with ETags so unchanged feeds answer 304.
type feedServer struct {
	srv *httptest.Server

	mu     sync.Mutex
	items  map[string][]story // per feed, oldest first
	served map[string]int     // full (200) answers per feed

	notModified atomic.Int64
}

func startFeeds(t *testing.T, names ...string) *feedServer {
	t.Helper()
	f := &feedServer{items: map[string][]story{}, served: map[string]int{}}
	for _, n := range names {
		f.items[n] = nil
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *feedServer) url(name string) string { return f.srv.URL + "/" + name + ".xml" }

// fullAnswers is how many times feed name was served in full (not 304).
func (f *feedServer) fullAnswers(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served[name]
}

func (f *feedServer) add(name string, s story) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[name] = append(f.items[name], s)
}

func (f *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), ".xml")
	f.mu.Lock()
	items, ok := f.items[name]
	body := rss(name, items)
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	unchanged := r.Header.Get("If-None-Match") == etag
	if ok && !unchanged {
		f.served[name]++
	}
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if unchanged {
		f.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	_, _ = w.Write(body)
}

// rss renders a feed, newest item first as feeds do.
func rss(name string, items []story) []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>%s</title><link>https://news.example/%s</link><description>test</description>\n",
		esc(name), esc(name))
	for i := len(items) - 1; i >= 0; i-- {
		s := items[i]
		fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">%s</guid><pubDate>%s</pubDate></item>\n",
			esc(s.Title), esc(s.Link), esc(s.GUID), s.Published.UTC().Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>\n")
	return b.Bytes()
}

// emulations are the X API (two users) and the Graph API (one Page) on
// loopback, hosted by the test so that they outlive any daemon.
type emulations struct {
	x     *emulator.X
	xURL  string
	graph *emulator.Graph
	gURL  string
	users map[string]emulator.XUser // account ID → user
	page  emulator.GraphPage
}

func startEmulations(t *testing.T) *emulations {
	t.Helper()
	e := &emulations{users: map[string]emulator.XUser{}}
	for i, id := range []string{"x_one", "x_two"} {
		e.users[id] = emulator.XUser{ID: fmt.Sprint(4001 + i), Username: "daily_" + id, ConsumerKey: "ck-e2e",
			ConsumerSecret: "cs-e2e", AccessToken: id + "-at", AccessTokenSecret: id + "-ats"}
	}
	e.x, e.xURL = nettest.StartX(t, e.users["x_one"], e.users["x_two"])
	e.page = emulator.GraphPage{ID: "7771", Name: "The Daily", AccessToken: "page-token-7771"}
	e.graph, e.gURL = nettest.StartGraph(t, e.page)
	return e
}

// accountsYAML is the accounts section for the emulations' users and page.
func (e *emulations) accountsYAML() string {
	var b strings.Builder
	b.WriteString("accounts:\n")
	for _, id := range []string{"x_one", "x_two"} {
		u := e.users[id]
		fmt.Fprintf(&b, "  %s: {network: twitter, api_base_url: %q, user_id: %q, consumer_key: %q, consumer_secret: %q, access_token: %q, access_token_secret: %q}\n",
			id, e.xURL, u.ID, u.ConsumerKey, u.ConsumerSecret, u.AccessToken, u.AccessTokenSecret)
	}
	fmt.Fprintf(&b, "  fb_page: {network: facebook, graph_base_url: %q, page_id: %q, page_access_token: %q}\n",
		e.gURL, e.page.ID, e.page.AccessToken)
	return b.String()
}

// checkPosts checks that the emulations received each story exactly once
// per account, with the text as composed (X: "title link"; Facebook:
// message title, link apart), and nothing else.
func (e *emulations) checkPosts(t *testing.T, stories []story) {
	t.Helper()
	for _, id := range []string{"x_one", "x_two"} {
		got := map[string]int{}
		posts := e.x.PostsByUser(e.users[id].ID)
		for _, p := range posts {
			got[p.Text]++
		}
		for _, s := range stories {
			if want := s.Title + " " + canonical(s.Link); got[want] != 1 {
				t.Errorf("%s: %q posted %d times, want once", id, want, got[want])
			}
		}
		if len(posts) != len(stories) {
			t.Errorf("%s: %d posts, want %d", id, len(posts), len(stories))
		}
	}
	// Graph rejects only consecutive duplicates, so count by link here.
	byLink := map[string][]emulator.GraphPost{}
	posts := e.graph.PostsByPage(e.page.ID)
	for _, p := range posts {
		byLink[p.Link] = append(byLink[p.Link], p)
	}
	for _, s := range stories {
		got := byLink[canonical(s.Link)]
		if len(got) != 1 {
			t.Errorf("fb_page: %s posted %d times, want once", canonical(s.Link), len(got))
			continue
		}
		if got[0].Message != s.Title {
			t.Errorf("fb_page: message %q, want %q", got[0].Message, s.Title)
		}
	}
	if len(posts) != len(stories) {
		t.Errorf("fb_page: %d posts, want %d", len(posts), len(stories))
	}
}

// canonical is a story link as Herald posts it: tracking parameters dropped.
func canonical(link string) string {
	c, err := herald.CanonicalURL(link)
	if err != nil {
		panic(err)
	}
	return c
}

// looks holds the databases the tests look into, by path, each opened once
// per test and closed when it ends: opening one takes its write lock for a
// moment, and a test reopening it in a wait loop kept a daemon's writes
// from getting that lock, or found it taken by a daemon migrating.
var looks sync.Map // path → *sqlite.DB

// inStore looks into the database at path, alongside a running daemon (as
// the CLI does).
func inStore[T any](t *testing.T, path string, look func(ctx context.Context, db *sqlite.DB) T) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return look(ctx, lookAt(ctx, t, path))
}

// lookAt returns the database at path, opened on first need, trying again
// while a daemon holds the lock for up to ctx's time.
func lookAt(ctx context.Context, t *testing.T, path string) *sqlite.DB {
	t.Helper()
	if db, ok := looks.Load(path); ok {
		return db.(*sqlite.DB)
	}
	for {
		db, err := sqlite.Open(ctx, path)
		if err == nil {
			if prev, loaded := looks.LoadOrStore(path, db); loaded {
				db.Close()
				return prev.(*sqlite.DB)
			}
			t.Cleanup(func() {
				looks.Delete(path)
				db.Close()
			})
			return db
		}
		if !strings.Contains(err.Error(), "SQLITE_BUSY") || ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jobStates counts the jobs of the database at path by state.
func jobStates(t *testing.T, path string) herald.JobCounts {
	t.Helper()
	return inStore(t, path, func(ctx context.Context, db *sqlite.DB) herald.JobCounts {
		c, err := db.CountJobs(ctx, "")
		if err != nil {
			return herald.JobCounts{} // not migrated yet
		}
		return c
	})
}

// listJobs returns every job in the database at path.
func listJobs(t *testing.T, path string) []herald.Job {
	t.Helper()
	return inStore(t, path, func(ctx context.Context, db *sqlite.DB) []herald.Job {
		jobs, err := db.ListJobs(ctx, herald.JobFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return jobs
	})
}

// seeded reports whether every named source of the database at path has
// had its backlog recorded.
func seeded(t *testing.T, path string, names ...string) bool {
	t.Helper()
	return inStore(t, path, func(ctx context.Context, db *sqlite.DB) bool {
		for _, n := range names {
			s, err := db.GetSource(ctx, n)
			if err != nil || !s.Seeded {
				return false
			}
		}
		return true
	})
}

// logBuffer collects a daemon's JSON log lines; safe for concurrent use.
type logBuffer struct{ testkit.Buffer }

// entries returns the log lines with message msg, decoded.
func (l *logBuffer) entries(msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var e map[string]any
		if json.Unmarshal(sc.Bytes(), &e) == nil && e["msg"] == msg {
			out = append(out, e)
		}
	}
	return out
}

// tail is the last n lines, for failure messages.
func (l *logBuffer) tail(n int) string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// inProcess is `herald run` executed in this process by cli.Execute.
type inProcess struct {
	logs   *logBuffer
	cancel context.CancelFunc
	exit   chan int // holds the exit code once the run has ended
}

// runInProcess starts `herald run` on the configuration at cfg; it is
// stopped when the test ends.
func runInProcess(t testing.TB, cfg string) *inProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &inProcess{logs: &logBuffer{}, cancel: cancel, exit: make(chan int, 1)}
	go func() { r.exit <- cli.Execute(ctx, []string{"--config", cfg, "run"}, io.Discard, r.logs) }()
	t.Cleanup(func() { r.halt(t) })
	return r
}

// running fails the test if the run has ended; it returns true, so that it
// can guard a wait's condition.
func (r *inProcess) running(t testing.TB) bool {
	t.Helper()
	select {
	case code := <-r.exit:
		r.exit <- code
		t.Fatalf("herald run exited early with %d:\n%s", code, r.logs.tail(20))
	default:
	}
	return true
}

// stop ends the run and waits up to limit for its exit code.
func (r *inProcess) stop(limit time.Duration) (int, error) {
	r.cancel()
	select {
	case code := <-r.exit:
		r.exit <- code
		return code, nil
	case <-time.After(limit):
		return 0, fmt.Errorf("herald run did not stop within %s of its context's end", limit)
	}
}

// stopCleanly ends the run and requires it to exit 0 within 10 s.
func (r *inProcess) stopCleanly() error {
	code, err := r.stop(10 * time.Second)
	if err == nil && code != 0 {
		err = fmt.Errorf("herald run exited with %d:\n%s", code, r.logs.tail(20))
	}
	return err
}

// halt ends the run, waiting up to 15 s; a later call returns at once.
func (r *inProcess) halt(t testing.TB) {
	t.Helper()
	if _, err := r.stop(15 * time.Second); err != nil {
		t.Error(err)
	}
}

// daemon is `herald run` as a child process.
type daemon struct {
	cmd  *exec.Cmd
	logs *logBuffer
	done chan struct{}
	err  error // set when done is closed
}

// startDaemon runs the built binary with args in dir, with a clean
// environment plus env.
func startDaemon(t *testing.T, dir string, env []string, args ...string) *daemon {
	t.Helper()
	cmd := heraldCmd(t, dir, env, args...)
	d := &daemon{cmd: cmd, logs: &logBuffer{}, done: make(chan struct{})}
	cmd.Stderr = d.logs
	cmd.Stdout = d.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-d.done
		if t.Failed() {
			t.Logf("herald %s: the log's end:\n%s", strings.Join(args, " "), d.logs.tail(30))
		}
	})
	return d
}

// stop sends sig and waits up to limit for the exit; it returns the exit
// status and how long the exit took.
func (d *daemon) stop(t *testing.T, sig syscall.Signal, limit time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
	case <-time.After(limit):
		t.Fatalf("herald did not exit within %s of %s; log:\n%s", limit, sig, d.logs.tail(30))
	}
	return d.cmd.ProcessState.ExitCode(), time.Since(start)
}

// kill ends the daemon with SIGKILL and waits for it.
func (d *daemon) kill() {
	_ = d.cmd.Process.Kill()
	<-d.done
}

// exited reports whether the daemon has stopped on its own.
func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

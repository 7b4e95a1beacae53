package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/postgres/pgtest"
	"github.com/heraldhq/herald/internal/testkit"
)

// pgSchema returns the URL of a PostgreSQL schema of the test's own (Herald
// creates it on first use), dropped when the test ends; without
// HERALD_TEST_POSTGRES_URL the test is skipped. Its sessions commit
// without waiting for the server's disk (synchronous_commit off): what
// commits, and in which order, is the same, only a crash of the server
// itself, which no test causes, could lose the last commits (on the test
// machine a commit took 8 ms waiting for the disk, 0.2 ms without).
func pgSchema(t *testing.T) string {
	return pgtest.Schema(t, "herald_e2e_") + "&synchronous_commit=off"
}

// openPG opens the schema at dsn for the test's own reads (alongside the
// daemons, as the CLI does); closed when the test ends.
func openPG(t *testing.T, dsn string) *postgres.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pollSpan is one request of a feed as the server saw it.
type pollSpan struct {
	start, end time.Time
}

// watchedFeeds serves feeds as feedServer does, each answer held for delay,
// and records every request's span per feed. Two requests of one feed in
// flight at the same time are an overlap: two instances polling one source.
type watchedFeeds struct {
	*feedServer
	delay time.Duration

	mu       sync.Mutex
	inFlight map[string]int
	spans    map[string][]pollSpan
	overlaps []string
}

func startWatchedFeeds(t *testing.T, delay time.Duration, names ...string) *watchedFeeds {
	t.Helper()
	f := &feedServer{items: map[string][]story{}, served: map[string]int{}}
	for _, n := range names {
		f.items[n] = nil
	}
	w := &watchedFeeds{feedServer: f, delay: delay, inFlight: map[string]int{}, spans: map[string][]pollSpan{}}
	f.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(f.srv.Close)
	return w
}

func (w *watchedFeeds) serve(rw http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), ".xml")
	start := time.Now()
	w.mu.Lock()
	w.inFlight[name]++
	if n := w.inFlight[name]; n > 1 {
		w.overlaps = append(w.overlaps, fmt.Sprintf("%s: %d requests in flight at %s", name, n, start.Format("15:04:05.000")))
	}
	w.mu.Unlock()
	defer func() {
		end := time.Now()
		w.mu.Lock()
		w.inFlight[name]--
		w.spans[name] = append(w.spans[name], pollSpan{start, end})
		w.mu.Unlock()
	}()
	select {
	case <-time.After(w.delay):
	case <-r.Context().Done():
		return
	}
	w.feedServer.serve(rw, r)
}

// overlapped returns the overlaps seen so far.
func (w *watchedFeeds) overlapped() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.overlaps)
}

// polledSince reports the feeds among names with no request started at or
// after t.
func (w *watchedFeeds) notPolledSince(t time.Time, names []string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, n := range names {
		s := w.spans[n]
		if len(s) == 0 || s[len(s)-1].start.Before(t) {
			out = append(out, n)
		}
	}
	return out
}

// requests is how many requests the feeds got in all, and the shortest time
// between the starts of two consecutive requests of one feed.
func (w *watchedFeeds) requests() (int, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, gap := 0, time.Duration(-1)
	for _, s := range w.spans {
		n += len(s)
		starts := make([]time.Time, len(s))
		for i, p := range s {
			starts[i] = p.start
		}
		slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
		for i := 1; i < len(starts); i++ {
			if d := starts[i].Sub(starts[i-1]); gap < 0 || d < gap {
				gap = d
			}
		}
	}
	return n, gap
}

// xAccount is one X account of a multi-instance test: its emulated user and
// its spacing.
type xAccount struct {
	id          string
	user        emulator.XUser
	minInterval time.Duration
	dailyCap    int
}

// newXAccounts returns n X accounts x_0 … x_{n-1}, all sharing one app.
func newXAccounts(n int) []xAccount {
	out := make([]xAccount, n)
	for i := range out {
		id := fmt.Sprintf("x_%d", i)
		out[i] = xAccount{id: id, user: emulator.XUser{ID: fmt.Sprint(5001 + i), Username: "net_" + id,
			ConsumerKey: "ck-multi", ConsumerSecret: "cs-multi", AccessToken: id + "-at", AccessTokenSecret: id + "-ats"}}
	}
	return out
}

// startMultiX starts the X emulation for accts, hosted by the test so that
// it outlives every daemon; unlimited posting, injected 429s reset at once.
func startMultiX(t *testing.T, accts []xAccount) (*emulator.X, string) {
	t.Helper()
	users := make([]emulator.XUser, len(accts))
	for i, a := range accts {
		users[i] = a.user
	}
	x, srv := emulator.StartX(emulator.XOptions{Users: users, PostLimit: -1, PostLimit24h: -1, ReadLimit: -1,
		FaultReset: time.Millisecond, RequestLogSize: 100000})
	t.Cleanup(srv.Close)
	return x, srv.URL
}

// multiSite is what a multi-instance test's instances share: a PostgreSQL
// schema of the test's own, X accounts on one emulation and feeds served by
// the test (both outliving every daemon), and a directory for the
// configuration.
type multiSite struct {
	dsn     string
	accts   []xAccount
	x       *emulator.X
	xURL    string
	feeds   *watchedFeeds
	sources []string
	dir     string
}

// newMultiSite starts the emulation for accts and the feeds named sources,
// each answer held for feedDelay.
func newMultiSite(t *testing.T, accts []xAccount, feedDelay time.Duration, sources ...string) *multiSite {
	t.Helper()
	s := &multiSite{dsn: pgSchema(t), accts: accts, feeds: startWatchedFeeds(t, feedDelay, sources...),
		sources: sources, dir: t.TempDir()}
	s.x, s.xURL = startMultiX(t, accts)
	return s
}

// multiConfig is what a multi-instance test's configuration file holds
// beyond its site.
type multiConfig struct {
	interval time.Duration // every source's poll interval
	extra    string        // top-level YAML keys
	// targets returns a source's accounts (nil: every account for every source).
	targets func(source string) []string
}

// write writes the configuration, shared by every instance (each gets its
// own dispatch.instance_id from the environment), and returns its path.
func (s *multiSite) write(t *testing.T, c multiConfig) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "database: {url: %q}\nhttp: {addr: \"127.0.0.1:0\"}\nlog: {format: json}\n", s.dsn)
	b.WriteString(c.extra)
	var all []string
	for _, a := range s.accts {
		all = append(all, a.id)
	}
	b.WriteString("sources:\n")
	for _, src := range s.sources {
		targets := all
		if c.targets != nil {
			targets = c.targets(src)
		}
		fmt.Fprintf(&b, "  - {name: %s, url: %q, interval: %s, targets: [%s]}\n", src, s.feeds.url(src), c.interval, strings.Join(targets, ", "))
	}
	b.WriteString("accounts:\n")
	for _, a := range s.accts {
		u := a.user
		fmt.Fprintf(&b, "  %s: {network: twitter, api_base_url: %q, user_id: %q, consumer_key: %q, consumer_secret: %q, access_token: %q, access_token_secret: %q, min_interval: %s, daily_cap: %d}\n",
			a.id, s.xURL, u.ID, u.ConsumerKey, u.ConsumerSecret, u.AccessToken, u.AccessTokenSecret, a.minInterval, a.dailyCap)
	}
	path := filepath.Join(s.dir, "herald.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startInstances runs n instances, IDs prefix1 … prefixN, on the
// configuration at cfg and waits until each is dispatching.
func (s *multiSite) startInstances(t *testing.T, cfg, prefix string, n int) []*instance {
	t.Helper()
	var ins []*instance
	for i := range n {
		ins = append(ins, startInstance(t, s.dir, cfg, fmt.Sprintf("%s%d", prefix, i+1)))
	}
	waitDispatching(t, ins)
	return ins
}

// onlySource returns the ID of the site's one source, once an instance
// has recorded it.
func onlySource(t *testing.T, db *postgres.DB) int64 {
	t.Helper()
	srcs, err := db.ListSources(context.Background())
	if err != nil || len(srcs) != 1 {
		t.Fatalf("sources %v: %v", srcs, err)
	}
	return srcs[0].ID
}

// instance is one `herald run` of a multi-instance test, by instance ID.
type instance struct {
	id   string
	d    *daemon
	runs []*daemon // every process run under this ID, the current one last
	down bool      // stopped on purpose, not yet restarted
}

// startInstance runs the binary with cfg as instance id.
func startInstance(t *testing.T, dir, cfg, id string, env ...string) *instance {
	t.Helper()
	in := &instance{id: id}
	in.restart(t, dir, cfg, env...)
	return in
}

// waitDispatching waits until every instance's dispatcher has started,
// failing the test if one exits.
func waitDispatching(t *testing.T, ins []*instance) {
	t.Helper()
	testkit.WaitFor(t, "every instance dispatching", 30*time.Second, func() bool {
		for _, in := range ins {
			if in.d.exited() {
				t.Fatalf("%s exited: %v\n%s", in.id, in.d.err, in.d.logs.tail(20))
			}
			if in.logCount("dispatcher started") == 0 {
				return false
			}
		}
		return true
	})
}

// restart starts a new process under the same instance ID (as a container
// restarted in place would).
func (in *instance) restart(t *testing.T, dir, cfg string, env ...string) {
	t.Helper()
	env = append([]string{"HERALD_DISPATCH_INSTANCE_ID=" + in.id}, env...)
	in.d = startDaemon(t, dir, env, "--config", cfg, "run")
	in.down = false
	in.runs = append(in.runs, in.d)
}

// logCount counts the log lines with message msg over every run.
func (in *instance) logCount(msg string) int {
	n := 0
	for _, d := range in.runs {
		n += len(d.logs.entries(msg))
	}
	return n
}

// warnings counts the log lines at level WARN or ERROR by message over
// every run.
func (in *instance) warnings() map[string]int {
	out := map[string]int{}
	for _, d := range in.runs {
		sc := bufio.NewScanner(strings.NewReader(d.logs.String()))
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			var e struct{ Level, Msg string }
			if json.Unmarshal(sc.Bytes(), &e) == nil && (e.Level == "WARN" || e.Level == "ERROR") {
				out[e.Msg]++
			}
		}
	}
	return out
}

package dispatch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// t0 is the tests' starting time: a whole second (the store keeps milliseconds).
var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// fakePost is a post the fake network holds.
type fakePost struct {
	ID   string
	Text string
	Link string
	At   time.Time
}

// fakePub is a Publisher for the state-machine tests: it keeps its posts in
// memory; publish (when set) decides each call: record says whether the post
// is made, err what the caller is told.
type fakePub struct {
	network herald.Network
	now     func() time.Time

	mu      sync.Mutex
	calls   int
	posts   []fakePost
	finds   int
	publish func(call int, m herald.Message) (record bool, err error)
	find    func(link string, since time.Time) error // an error to return instead of searching
	limits  []herald.RateLimit
	ident   herald.Identity
}

func newFake(n herald.Network, now func() time.Time) *fakePub { return &fakePub{network: n, now: now} }

func (f *fakePub) Network() herald.Network { return f.network }

func (f *fakePub) Publish(ctx context.Context, m herald.Message) (herald.Receipt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	record, err := true, error(nil)
	if f.publish != nil {
		record, err = f.publish(f.calls, m)
	}
	if !record {
		return herald.Receipt{}, err
	}
	p := fakePost{ID: strconv.Itoa(1000 + len(f.posts)), Text: m.Text, Link: m.Link, At: f.now()}
	f.posts = append(f.posts, p)
	if err != nil {
		return herald.Receipt{}, err
	}
	return herald.Receipt{RemoteID: p.ID, Permalink: "https://fake.example/p/" + p.ID, At: p.At, Limits: f.limits}, nil
}

func (f *fakePub) FindPost(ctx context.Context, link string, since time.Time) (herald.Receipt, bool, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finds++
	if f.find != nil {
		if err := f.find(link, since); err != nil {
			return herald.Receipt{}, false, 0, err
		}
	}
	reads := 0
	for _, p := range f.posts {
		if p.At.Before(since) {
			continue
		}
		reads++
		if p.Link == link || strings.Contains(p.Text, link) {
			return herald.Receipt{RemoteID: p.ID, Permalink: "https://fake.example/p/" + p.ID, At: p.At}, true, reads, nil
		}
	}
	return herald.Receipt{}, false, reads, nil
}

func (f *fakePub) Engagement(ctx context.Context, ids []string) (map[string]herald.Engagement, []string, error) {
	return nil, nil, nil
}

func (f *fakePub) Delete(ctx context.Context, id string) error { return nil }

func (f *fakePub) Check(ctx context.Context) (herald.Identity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ident, nil
}

// Posts returns a copy of the posts made.
func (f *fakePub) Posts() []fakePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakePost(nil), f.posts...)
}

func (f *fakePub) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// set changes the fake's behaviour under its lock.
func (f *fakePub) set(fn func(f *fakePub)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// fixture is a store, a clock and accounts for one test.
type fixture struct {
	t      testing.TB
	store  *sqlite.DB
	clock  *testkit.Clock
	source int64
	n      int // articles made
	logs   testkit.Buffer
}

func newFixture(t testing.TB, accounts ...Account) *fixture {
	t.Helper()
	fx := &fixture{t: t, store: teststore.SQLite(t), clock: testkit.NewClock(t0)}
	fx.sync(accounts...)
	return fx
}

func (fx *fixture) sync(accounts ...Account) {
	fx.t.Helper()
	ctx := context.Background()
	var as []herald.Account
	for _, a := range accounts {
		as = append(as, herald.Account{ID: a.ID, Network: a.Network})
	}
	if err := fx.store.SyncAccounts(ctx, as); err != nil {
		fx.t.Fatal(err)
	}
	src, err := fx.store.PushSource(ctx, "webhook")
	if err != nil {
		fx.t.Fatal(err)
	}
	fx.source = src.ID
}

// oneXJob is a fixture with one X account "x" on a fake network that keeps
// the fixture's time, and one story announced to it: the job's ID.
func oneXJob(t testing.TB) (fx *fixture, x *fakePub, accts []Account, id int64) {
	t.Helper()
	fx = newFixture(t)
	x = newFake(herald.Twitter, fx.clock.Now)
	accts = []Account{xAccount("x", x)}
	fx.sync(accts...)
	return fx, x, accts, fx.articles(1, "x")[0]
}

// xFixture is a fixture with one X account "x" on a fake network that keeps
// the fixture's time; set (when not nil) configures the account before it
// is recorded.
func xFixture(t testing.TB, set func(a *Account)) (fx *fixture, x *fakePub, a Account) {
	t.Helper()
	fx = newFixture(t)
	x = newFake(herald.Twitter, fx.clock.Now)
	a = xAccount("x", x)
	if set != nil {
		set(&a)
	}
	fx.sync(a)
	return fx, x, a
}

// budgetFixture is a fixture on 20 March with one X account "x", priced as
// X prices, whose monthly budget pays for three posts with a link.
func budgetFixture(t testing.TB) (fx *fixture, x *fakePub, a Account) {
	t.Helper()
	fx, x, a = xFixture(t, func(a *Account) {
		a.Cost = XPrices
		a.Cost.MonthlyBudget = Dollars(0.60)
	})
	fx.clock.Set(time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC))
	return fx, x, a
}

// articles records n new stories announced to targets, published one
// minute apart in order, and returns their job IDs.
func (fx *fixture) articles(n int, targets ...string) []int64 {
	fx.t.Helper()
	var items []herald.ArticleInput
	for range n {
		fx.n++
		items = append(items, herald.ArticleInput{
			URL:         fmt.Sprintf("https://news.example/story/%d", fx.n),
			Title:       fmt.Sprintf("Story number %d", fx.n),
			PublishedAt: t0.Add(time.Duration(fx.n) * time.Minute),
			Announce:    true,
			Targets:     targets,
		})
	}
	res, err := fx.store.SaveArticles(context.Background(), fx.source, items, fx.clock.Now())
	if err != nil {
		fx.t.Fatal(err)
	}
	var ids []int64
	for _, r := range res {
		ids = append(ids, r.Jobs...)
	}
	return ids
}

// dispatcher builds a dispatcher on the fixture's store and clock.
func (fx *fixture) dispatcher(accounts []Account, opts Options) *Dispatcher {
	fx.t.Helper()
	if opts.Now == nil {
		opts.Now = fx.clock.Now
	}
	if opts.Owner == "" {
		opts.Owner = "test"
	}
	d, err := New(fx.store, accounts, opts, slog.New(slog.NewTextHandler(io.MultiWriter(tWriter{fx.t}, &fx.logs), nil)))
	if err != nil {
		fx.t.Fatal(err)
	}
	return d
}

func (fx *fixture) runOnce(d *Dispatcher) int {
	fx.t.Helper()
	n, err := d.RunOnce(context.Background())
	if err != nil {
		fx.t.Fatal(err)
	}
	return n
}

func (fx *fixture) job(id int64) herald.Job {
	fx.t.Helper()
	j, err := fx.store.GetJob(context.Background(), id)
	if err != nil {
		fx.t.Fatal(err)
	}
	return j
}

// states counts the jobs by state.
func (fx *fixture) states() herald.JobCounts {
	fx.t.Helper()
	c, err := fx.store.CountJobs(context.Background(), "")
	if err != nil {
		fx.t.Fatal(err)
	}
	return c
}

// testLogger writes through t.Log, so a failing test shows what happened.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// zone loads the named time zone, or skips the test where the system has
// no time zone database.
func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skip("no tz database:", err)
	}
	return loc
}

// xAccount is an X account on publisher p with no pacing.
func xAccount(id string, p herald.Publisher) Account {
	return Account{ID: id, Network: herald.Twitter, Publisher: p}
}

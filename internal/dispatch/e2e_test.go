package dispatch

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/facebook"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/nettest"
	"github.com/heraldhq/herald/internal/testkit/teststore"
	"github.com/heraldhq/herald/internal/twitter"
)

// xUser is an X account of the emulation; its credentials are test values.
func xUser(id, name string) emulator.XUser {
	return emulator.XUser{ID: id, Username: name, ConsumerKey: "ck", ConsumerSecret: "cs",
		AccessToken: id + "-at", AccessTokenSecret: id + "-ats"}
}

const (
	pageID    = "5551"
	pageToken = "page-token-5551"
)

// emulations is the X and Graph emulations on loopback, and Herald's real
// publishers for two X accounts and one Page.
type emulations struct {
	x     *emulator.X
	graph *emulator.Graph
	users map[string]emulator.XUser // account ID → X user
	accts []Account
}

// liveFixture is a fixture on a clock set to the real time, for tests that
// run the dispatcher's loop.
func liveFixture(t testing.TB) *fixture {
	return &fixture{t: t, store: teststore.SQLite(t), clock: testkit.NewClock(time.Now())}
}

// announce records n stories for the three emulated accounts, as of now,
// and wakes d.
func announce(fx *fixture, d *Dispatcher, n int) {
	fx.clock.Set(time.Now())
	fx.articles(n, "x_main", "x_biz", "fb_page")
	d.Wake()
}

func startEmulations(t testing.TB, fx *fixture) *emulations {
	t.Helper()
	e := &emulations{users: map[string]emulator.XUser{"x_main": xUser("3001", "daily_main"), "x_biz": xUser("3002", "daily_biz")}}
	var xURL, gURL string
	e.x, xURL = nettest.StartX(t, e.users["x_main"], e.users["x_biz"])
	e.graph, gURL = nettest.StartGraph(t, emulator.GraphPage{ID: pageID, Name: "The Daily", AccessToken: pageToken})

	for _, id := range []string{"x_main", "x_biz"} {
		u := e.users[id]
		c, err := twitter.New(twitter.Config{AccountID: id, BaseURL: xURL, UserID: u.ID,
			ConsumerKey: u.ConsumerKey, ConsumerSecret: u.ConsumerSecret, AccessToken: u.AccessToken,
			AccessTokenSecret: u.AccessTokenSecret, HTTPTimeout: 5 * time.Second}, fx.store, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.accts = append(e.accts, Account{ID: id, Network: herald.Twitter, Publisher: c, Compose: composer(t, herald.Twitter), Cost: XPrices})
	}
	fb, err := facebook.New(facebook.Config{AccountID: "fb_page", PageID: pageID, PageAccessToken: pageToken,
		GraphBaseURL: gURL, HTTPTimeout: 5 * time.Second, RateLimitWait: 200 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.accts = append(e.accts, Account{ID: "fb_page", Network: herald.Facebook, Publisher: fb, Compose: composer(t, herald.Facebook)})
	fx.sync(e.accts...)
	return e
}

// composer is the account's composer with default settings, as the CLI wires it.
func composer(t testing.TB, n herald.Network) func(herald.Article, herald.Job) (herald.Message, error) {
	c, err := compose.New(compose.Options{Network: n})
	if err != nil {
		t.Fatal(err)
	}
	return func(a herald.Article, j herald.Job) (herald.Message, error) {
		return c.Compose(a, compose.FromJob(&j, ""))
	}
}

// fastRetries make retries and reconciliation quick enough for a test.
var fastRetries = Options{Now: time.Now, BackoffBase: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
	ReconcileDelay: 20 * time.Millisecond, RateLimitWait: 200 * time.Millisecond, MaxAttempts: 30}

// checkPosts checks that each account got each of stories exactly once, with the right text.
func (e *emulations) checkPosts(t *testing.T, fx *fixture, stories int) {
	t.Helper()
	for _, id := range []string{"x_main", "x_biz"} {
		posts := e.x.PostsByUser(e.users[id].ID)
		seen := map[string]int{}
		for _, p := range posts {
			seen[p.Text]++
		}
		for i := 1; i <= stories; i++ {
			want := fmt.Sprintf("Story number %d https://news.example/story/%d", i, i)
			if seen[want] != 1 {
				t.Errorf("%s: %q posted %d times, want once", id, want, seen[want])
			}
		}
		if len(posts) != stories {
			t.Errorf("%s: %d posts, want %d", id, len(posts), stories)
		}
	}
	posts := e.graph.PostsByPage(pageID)
	links := map[string]int{}
	for _, p := range posts {
		links[p.Link]++
		if want := "Story number " + p.Link[len("https://news.example/story/"):]; p.Message != want {
			t.Errorf("page post %s: message %q, want %q", p.ID, p.Message, want)
		}
	}
	if len(posts) != stories || len(links) != stories {
		t.Errorf("page: %d posts of %d links, want %d once each", len(posts), len(links), stories)
	}
	for _, j := range mustList(t, fx.store) {
		if j.State != herald.JobSent || j.RemoteID == "" {
			t.Errorf("job %d (%s): %s %q %q", j.ID, j.Account, j.State, j.SkipReason, j.LastError)
		}
	}
}

func TestEndToEndThroughTheEmulations(t *testing.T) {
	t.Parallel()
	fx := liveFixture(t)
	e := startEmulations(t, fx)
	d := fx.dispatcher(e.accts, fastRetries)
	stop := runDispatcher(t, d)

	// Stories appear over time, as a feed poller would record them.
	const stories = 20
	for range stories {
		announce(fx, d, 1)
		time.Sleep(2 * time.Millisecond)
	}
	testkit.WaitFor(t, "every job sent", time.Minute, func() bool { return fx.states()[herald.JobSent] == 3*stories })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e.checkPosts(t, fx, stories)
	spent, _ := fx.store.Spend(context.Background(), "x_main", monthStart(time.Now()))
	if spent != stories*Dollars(0.20) {
		t.Errorf("x_main spend %d, want %d (20 posts with a link)", spent, stories*Dollars(0.20))
	}
}

func TestChaosEveryJobSentOnce(t *testing.T) {
	t.Parallel()
	fx := liveFixture(t)
	e := startEmulations(t, fx)
	// 30 % server errors, 10 % rate limits, 10 % posts made and then the
	// connection dropped before the answer.
	emulatortest.Faults(e.x).Set(0.3, 0.1, 0.1, 0, 7)
	emulatortest.Faults(e.graph).Set(0.3, 0.1, 0.1, 0, 8)
	d := fx.dispatcher(e.accts, fastRetries)
	stop := runDispatcher(t, d)

	const stories = 20
	announce(fx, d, stories)
	testkit.WaitFor(t, "every job sent", time.Minute, func() bool { return fx.states()[herald.JobSent] == 3*stories })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e.checkPosts(t, fx, stories)
	if fx.logs.Count("reconcile: post found") == 0 || fx.logs.Count("send failed; will retry") == 0 || fx.logs.Count("account held") == 0 {
		t.Error("the faults were not all exercised (reconcile, retry, hold)")
	}
}

func TestExpiredTokenPausesOnlyThatAccount(t *testing.T) {
	t.Parallel()
	fx := liveFixture(t)
	e := startEmulations(t, fx)
	emulatortest.ExpireUser(e.x, e.users["x_main"].ID)
	emulatortest.ExpirePage(e.graph, pageID)
	d := fx.dispatcher(e.accts, fastRetries)
	stop := runDispatcher(t, d)

	const stories = 5
	announce(fx, d, stories)
	testkit.WaitFor(t, "x_biz's posts", time.Minute, func() bool { return len(e.x.PostsByUser(e.users["x_biz"].ID)) == stories })
	testkit.WaitFor(t, "both pauses", time.Minute, func() bool {
		a, _ := fx.store.GetAccount(context.Background(), "x_main")
		b, _ := fx.store.GetAccount(context.Background(), "fb_page")
		return a.Paused && b.Paused
	})
	if c := fx.states(); c[herald.JobPending] != 2*stories {
		t.Fatalf("states %v, want the paused accounts' %d jobs pending", c, 2*stories)
	}
	if fx.logs.Count("herald accounts resume x_main") != 1 || fx.logs.Count("herald accounts resume fb_page") != 1 {
		t.Error("the operator was not told how to resume each paused account once")
	}

	// The operator renews the credentials and resumes.
	e.x.AddUser(e.users["x_main"])
	e.graph.AddPage(emulator.GraphPage{ID: pageID, Name: "The Daily", AccessToken: pageToken})
	for _, id := range []string{"x_main", "fb_page"} {
		if err := fx.store.ResumeAccount(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	d.Wake()
	testkit.WaitFor(t, "every job sent", time.Minute, func() bool { return fx.states()[herald.JobSent] == 3*stories })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e.checkPosts(t, fx, stories)
}

package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/bench/feedserver"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/facebook"
	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/twitter"
	"github.com/heraldhq/herald/internal/web"
)

// The parts below are built by internal/app, as the daemon's are, from the
// default configuration with the scenario's accounts and sources; the
// sandbox's emulations are the networks.

// clock is the poller's and dispatcher's clock: real time plus an offset, so
// that a scenario can make every source due at once ("a forced cycle")
// without waiting out the interval.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Skip(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// openStore opens and migrates a fresh store: an SQLite file in dir, or a
// new schema of the PostgreSQL database at pgURL (dropped by the returned
// cleanup).
func openStore(ctx context.Context, dir, pgURL, name string) (herald.Store, func(), error) {
	if pgURL == "" {
		path := filepath.Join(dir, name+".db")
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(path + s)
		}
		db, err := sqlite.Open(ctx, path)
		if err == nil {
			err = db.Migrate(ctx)
		}
		if err != nil {
			return nil, nil, err
		}
		return db, func() {
			db.Close()
			for _, s := range []string{"", "-wal", "-shm"} {
				os.Remove(path + s)
			}
		}, nil
	}
	schema := fmt.Sprintf("herald_bench_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	db, err := postgres.Open(ctx, withSearchPath(pgURL, schema))
	if err != nil {
		return nil, nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, func() {
		db.Close()
		dropSchema(pgURL, schema)
	}, nil
}

// stack is Herald's parts for one scenario, over the emulations.
type stack struct {
	store    herald.Store
	clock    *clock
	x        *emulator.X
	xsrv     *httptest.Server
	posted   chan struct{} // a POST /2/tweets was answered
	graph    *emulator.Graph
	gsrv     *httptest.Server
	cfg      *config.Config              // the default configuration with the scenario's accounts
	pubs     map[string]herald.Publisher // by account ID
	accounts []string                    // account IDs, in the order they were added
	disp     *dispatch.Dispatcher
	cleanup  []func()
}

// stackOptions says which accounts to build.
type stackOptions struct {
	xAccounts  int // x0, x1, ...
	fbAccounts int // fb0, ...
}

func newStack(ctx context.Context, env *env, name string, o stackOptions) (*stack, error) {
	s := &stack{clock: &clock{}, cfg: config.Default(), pubs: map[string]herald.Publisher{}}
	// The daemon's runtime settings, as `herald run` sets them, for as long
	// as the stack lives.
	s.cleanup = append(s.cleanup, app.TuneRuntime(ctx, os.Getenv))
	s.cfg.Accounts = map[string]config.Account{}
	s.cfg.Dispatch.InstanceID = "bench"
	// The burst scenario measures 100 stories of one poll posted, which the
	// default flood limit (publish.max_new_per_poll) would hold back.
	s.cfg.Publish.MaxNewPerPoll = 0
	store, closeStore, err := openStore(ctx, env.dir, env.pg, name)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.store = store
	s.cleanup = append(s.cleanup, closeStore)
	var users []emulator.XUser
	for i := range o.xAccounts {
		users = append(users, emulator.XUser{ID: strconv.Itoa(1_700_000_001 + i), Username: "bench" + strconv.Itoa(i),
			ConsumerKey: "bench-ck", ConsumerSecret: "bench-cs", AccessToken: "bench-at-" + strconv.Itoa(i),
			AccessTokenSecret: "bench-as-" + strconv.Itoa(i)})
	}
	// Unlimited, so that throughput measures Herald rather than X's quota.
	s.x = emulator.NewX(emulator.XOptions{Users: users, PostLimit: -1, PostLimit24h: -1, ReadLimit: -1,
		RequestLogSize: 100})
	s.posted = make(chan struct{}, 1<<16)
	s.xsrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.x.ServeHTTP(w, r)
		if r.Method == http.MethodPost && r.URL.Path == "/2/tweets" {
			select {
			case s.posted <- struct{}{}: // the post is recorded
			default:
			}
		}
	}))
	s.graph, s.gsrv = emulator.StartGraph(emulator.GraphOptions{MaxLog: 100})
	s.cleanup = append(s.cleanup, s.xsrv.Close, s.gsrv.Close)
	var accts []herald.Account
	for i, u := range users {
		id := "x" + strconv.Itoa(i)
		p, err := twitter.New(twitter.Config{AccountID: id, BaseURL: s.xsrv.URL, UserID: u.ID,
			ConsumerKey: u.ConsumerKey, ConsumerSecret: u.ConsumerSecret, AccessToken: u.AccessToken,
			AccessTokenSecret: u.AccessTokenSecret, HTTPTimeout: 15 * time.Second}, store, nil)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.addAccount(id, config.NetworkTwitter, p)
		accts = append(accts, herald.Account{ID: id, Network: herald.Twitter})
	}
	for i := range o.fbAccounts {
		id := "fb" + strconv.Itoa(i)
		page := emulator.GraphPage{ID: strconv.Itoa(990_000_000_000_001 + i), Name: id, AccessToken: "bench-page-" + id,
			AppID: "880000000000001", AppSecret: "bench-app-secret"}
		s.graph.AddPage(page)
		p, err := facebook.New(facebook.Config{AccountID: id, PageID: page.ID, PageAccessToken: page.AccessToken,
			AppID: page.AppID, AppSecret: page.AppSecret, GraphBaseURL: s.gsrv.URL + "/", HTTPTimeout: 15 * time.Second}, nil)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.addAccount(id, config.NetworkFacebook, p)
		accts = append(accts, herald.Account{ID: id, Network: herald.Facebook})
	}
	if err := store.SyncAccounts(ctx, accts); err != nil {
		s.Close()
		return nil, err
	}
	// dispatch.* defaults, spacing off (no min_interval), as configured.
	s.disp, err = app.NewDispatcher(s.cfg, store, s.pubs, app.SenderOptions{Now: s.clock.Now}, nil)
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// addAccount configures an account as the daemon would see it with the
// network's defaults, over publisher p.
func (s *stack) addAccount(id, network string, p herald.Publisher) {
	s.cfg.Accounts[id] = config.DefaultAccount(network)
	s.pubs[id] = p
	s.accounts = append(s.accounts, id)
}

// poller builds the feed poller over n feeds of srv targeting targets, its
// OnNew waking the dispatcher, as `herald run` does.
func (s *stack) poller(srv *feedserver.Server, n int, interval time.Duration, targets []string) *feed.Poller {
	srcs := make([]feed.SourceConfig, n)
	for i := range srcs {
		srcs[i] = feed.SourceConfig{Name: "feed-" + strconv.Itoa(i), URL: srv.URL(i), Interval: interval, Targets: targets}
	}
	o := app.FeedOptions(s.cfg, func(herald.Article) { s.disp.Wake() })
	o.Sources, o.Now = srcs, s.clock.Now
	return feed.New(s.store, o, nil)
}

// webServer builds Herald's HTTP server with the webhook on, as the daemon
// does, listening on a free loopback port.
func (s *stack) webServer(secret string, targets []string) *web.Server {
	wh := app.WebhookOptions(s.cfg, s.disp.Wake)
	wh.Secret, wh.Targets, wh.Accounts = secret, targets, targets
	return web.New(web.Options{Addr: "127.0.0.1:0", Store: s.store, Webhook: wh}, slog.New(slog.DiscardHandler))
}

// runDispatcher runs the dispatcher until the returned stop is called.
func (s *stack) runDispatcher() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.disp.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func (s *stack) Close() {
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		s.cleanup[i]()
	}
	s.cleanup = nil
}

// settle gives the daemon's runtime the pause a daemon has between two
// poll cycles (a minute by default), in which app.TuneRuntime sees a burst
// end, puts the collector's target back and releases the burst's memory: a
// second is ample for it.
func settle(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
}

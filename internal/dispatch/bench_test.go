package dispatch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
	"github.com/heraldhq/herald/internal/twitter"
)

// benchX serves the X emulation for n accounts, with no limits, through a
// handler that reports when each POST /2/tweets arrives.
func benchX(b *testing.B, fx *fixture, n int) ([]Account, chan time.Time) {
	b.Helper()
	var users []emulator.XUser
	for i := range n {
		users = append(users, xUser(strconv.Itoa(4000+i), "bench"+strconv.Itoa(i)))
	}
	x := emulator.NewX(emulator.XOptions{Users: users, PostLimit: -1, PostLimit24h: -1, ReadLimit: -1, RequestLogSize: 100})
	arrived := make(chan time.Time, 1<<16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/2/tweets" {
			arrived <- time.Now()
		}
		x.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	var accts []Account
	for i, u := range users {
		id := "x" + strconv.Itoa(i)
		c, err := twitter.New(twitter.Config{AccountID: id, BaseURL: srv.URL, UserID: u.ID, ConsumerKey: u.ConsumerKey,
			ConsumerSecret: u.ConsumerSecret, AccessToken: u.AccessToken, AccessTokenSecret: u.AccessTokenSecret}, fx.store, nil)
		if err != nil {
			b.Fatal(err)
		}
		accts = append(accts, Account{ID: id, Network: herald.Twitter, Publisher: c, Compose: composer(b, herald.Twitter)})
	}
	fx.sync(accts...)
	return accts, arrived
}

// runBench runs a quiet dispatcher (no log) until the benchmark ends.
func runBench(b *testing.B, fx *fixture, accts []Account) *Dispatcher {
	b.Helper()
	d, err := New(fx.store, accts, Options{Owner: "bench", Now: time.Now}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return d
}

// BenchmarkJobToAPI measures the time from a job being committed to the
// emulated X API receiving its post, through the real client over loopback,
// one story at a time with spacing off. Run with -benchtime=1000x.
func BenchmarkJobToAPI(b *testing.B) {
	fx := &fixture{t: b, store: teststore.SQLite(b), clock: testkit.NewClock(time.Now())}
	accts, arrived := benchX(b, fx, 1)
	d := runBench(b, fx, accts)
	lat := make([]time.Duration, 0, b.N)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		fx.clock.Set(time.Now())
		fx.articles(1, "x0")
		created := time.Now()
		d.Wake()
		got := <-arrived
		lat = append(lat, got.Sub(created))
		// Let the job be recorded before the next story, as stories arrive apart.
		for n := 0; n < 10000; n++ {
			if c, _ := fx.store.CountJobs(ctx, "x0"); c[herald.JobSent] == i+1 {
				break
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50_ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99_ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max_ms")
}

// BenchmarkThroughput measures how many jobs per second are sent to four
// X accounts (spacing off) from a queue of b.N due jobs. Run with -benchtime=2000x.
func BenchmarkThroughput(b *testing.B) {
	fx := &fixture{t: b, store: teststore.SQLite(b), clock: testkit.NewClock(time.Now())}
	accts, _ := benchX(b, fx, 4)
	per := max(b.N/4, 1)
	for i := range 4 {
		fx.articles(per, "x"+strconv.Itoa(i))
	}
	total := 4 * per
	b.ResetTimer()
	start := time.Now()
	runBench(b, fx, accts)
	for n := 0; ; n++ {
		c, err := fx.store.CountJobs(context.Background(), "")
		if err != nil {
			b.Fatal(err)
		}
		if c[herald.JobSent] == total {
			break
		}
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("only %d of %d sent", c[herald.JobSent], total)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(total)/elapsed.Seconds(), "jobs/s")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

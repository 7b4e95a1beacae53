package dispatch

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/twitter"
)

// TestAnnouncedLimitsBringNoTooManyRequests: X announces 2 posts per 30 s in
// its headers. The dispatcher sends one post at a time per account, in
// publication order, stops at the post that uses the allowance up, and
// waits a second past the announced reset: every call succeeds.
func TestAnnouncedLimitsBringNoTooManyRequests(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	user := xUser("3001", "daily_main")
	x, srv := emulator.StartX(emulator.XOptions{Users: []emulator.XUser{user}, PostLimit: 2, Window: 30 * time.Second,
		PostLimit24h: -1, ReadLimit: -1, Now: fx.clock.Now})
	t.Cleanup(srv.Close)
	pub, err := twitter.New(twitter.Config{AccountID: "x_main", BaseURL: srv.URL, UserID: user.ID,
		ConsumerKey: user.ConsumerKey, ConsumerSecret: user.ConsumerSecret, AccessToken: user.AccessToken,
		AccessTokenSecret: user.AccessTokenSecret, HTTPTimeout: 5 * time.Second}, fx.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	accts := []Account{{ID: "x_main", Network: herald.Twitter, Publisher: pub, Compose: composer(t, herald.Twitter)}}
	fx.sync(accts...)
	fx.articles(5, "x_main")
	d := fx.dispatcher(accts, Options{})

	step := func(advance time.Duration, want int) {
		t.Helper()
		fx.clock.Advance(advance)
		fx.runOnce(d)
		if n := len(x.PostsByUser(user.ID)); n != want {
			t.Fatalf("%s after the first window opened: %d posts, want %d", fx.clock.Now().Sub(t0), n, want)
		}
	}
	step(0, 2)
	step(30*time.Second, 2) // the announced reset: a call now may still count against the window
	step(time.Second, 4)
	step(30*time.Second, 4)
	step(time.Second, 5)

	if n := x.Count("POST /2/tweets"); n != 5 {
		t.Errorf("%d calls for 5 posts: every call beyond the allowance is a 429", n)
	}
	for i, p := range x.PostsByUser(user.ID) {
		if want := fmt.Sprintf("Story number %d https://news.example/story/%d", i+1, i+1); p.Text != want {
			t.Errorf("post %d is %q, want %q (publication order)", i+1, p.Text, want)
		}
	}
}

// TestOneCallInFlightPerAccount: with calls to spare (Concurrency 8) and
// jobs claimed several at a time, one account's posts still go one after
// another: a second call would join the first at the gate.
func TestOneCallInFlightPerAccount(t *testing.T) {
	t.Parallel()
	fake := newFake(herald.Twitter, time.Now)
	g := &gatedPub{fakePub: fake, limit: 2, full: make(chan struct{})}
	accts := []Account{xAccount("x", g)}
	fx := newFixture(t, accts...)
	fx.clock.Set(time.Now())
	fx.articles(4, "x")
	d := fx.dispatcher(accts, Options{Concurrency: 8, PerAccount: 8})
	stop := runDispatcher(t, d)
	d.Wake()
	testkit.WaitFor(t, "every job sent", time.Minute, func() bool { return fx.states()[herald.JobSent] == 4 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	most := g.most
	g.mu.Unlock()
	if most != 1 {
		t.Errorf("%d calls in flight at once for one account, want 1", most)
	}
	for i, p := range fake.Posts() {
		if want := fmt.Sprintf("Story number %d", i+1); p.Text != want+" https://news.example/story/"+fmt.Sprint(i+1) {
			t.Errorf("post %d is %q, want %s first (publication order)", i+1, p.Text, want)
		}
	}
}

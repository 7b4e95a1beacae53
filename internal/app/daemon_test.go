package app_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/teststore"
	"github.com/heraldhq/herald/internal/twitter"
)

// TestDaemonSendsAndGivesItsLocksBack builds the daemon from a
// configuration, a clock and a store, runs it until a story is posted to
// the X emulation, stops it, and checks that the collector's lock was
// given back.
func TestDaemonSendsAndGivesItsLocksBack(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := teststore.SQLite(t)
	user := emulator.XUser{ID: "3001", Username: "daily", ConsumerKey: "ck", ConsumerSecret: "cs",
		AccessToken: "at", AccessTokenSecret: "ats"}
	x, srv := emulator.StartX(emulator.XOptions{Users: []emulator.XUser{user}, PostLimit: -1, PostLimit24h: -1, ReadLimit: -1})
	t.Cleanup(srv.Close)

	cfg := config.Default()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Dispatch.InstanceID = "app-test"
	cfg.Accounts = map[string]config.Account{"x_main": config.DefaultAccount(config.NetworkTwitter)}
	if err := st.SyncAccounts(ctx, []herald.Account{{ID: "x_main", Network: herald.Twitter}}); err != nil {
		t.Fatal(err)
	}
	pub, err := twitter.New(twitter.Config{AccountID: "x_main", BaseURL: srv.URL, UserID: user.ID,
		ConsumerKey: user.ConsumerKey, ConsumerSecret: user.ConsumerSecret, AccessToken: user.AccessToken,
		AccessTokenSecret: user.AccessTokenSecret, HTTPTimeout: 5 * time.Second}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := app.New(app.Options{Config: cfg, Store: st, Publishers: map[string]herald.Publisher{"x_main": pub},
		Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	stop := testkit.Run(t, 30*time.Second, d.Run)

	src, err := st.PushSource(ctx, "webhook")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveArticles(ctx, src.ID, []herald.ArticleInput{{URL: "https://news.example/a", Title: "A story",
		Announce: true, Targets: []string{"x_main"}}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	d.Dispatcher.Wake()
	for deadline := time.Now().Add(30 * time.Second); len(x.Posts()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the story was not posted")
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := x.Posts()[0].Text; got != "A story https://news.example/a" {
		t.Errorf("posted %q", got)
	}
	if ok, err := st.TryLock(ctx, rank.LockName, "another", time.Now(), time.Minute); !ok || err != nil {
		t.Errorf("the collector's lock was kept after the daemon stopped: %v %v", ok, err)
	}
}

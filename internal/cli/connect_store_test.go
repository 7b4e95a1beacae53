package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// TestConnectedPublisherFollowsTheStore: a publisher on connected
// credentials uses the ones saved after it was built, at its next call,
// and refuses clearly once they are forgotten.
func TestConnectedPublisherFollowsTheStore(t *testing.T) {
	m, srv := emulator.StartMastodon(emulator.MastodonOptions{})
	t.Cleanup(srv.Close)
	m.AddAccount(emulator.MastodonAccount{ID: "1", Username: "one", Token: "token-one"})
	m.AddAccount(emulator.MastodonAccount{ID: "2", Username: "two", Token: "token-two"})
	db := teststore.SQLite(t)
	cfg := config.Default()
	acct := config.DefaultAccount(config.NetworkMastodon)
	acct.InstanceURL = srv.URL
	cfg.Accounts = map[string]config.Account{"toot": acct}

	p, err := buildPublisher(cfg, "toot", db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*connectedPublisher); !ok {
		t.Fatalf("publisher of an account without credentials = %T, want a connected one", p)
	}
	if _, err := p.Check(t.Context()); herald.KindOf(err) != herald.ErrAuth {
		t.Fatalf("Check before connect = %v, want an auth error", err)
	}
	save := func(tok string) {
		if _, err := db.SaveCredentials(t.Context(), herald.Credentials{Account: "toot", Network: herald.Mastodon,
			Method: "oauth", Secrets: map[string]string{"access_token": tok}}); err != nil {
			t.Fatal(err)
		}
	}
	save("token-one")
	if id, err := p.Check(t.Context()); err != nil || !strings.HasPrefix(id.Name, "@one@") {
		t.Fatalf("Check = %+v, %v; want @one", id, err)
	}
	save("token-two")
	if id, err := p.Check(t.Context()); err != nil || !strings.HasPrefix(id.Name, "@two@") {
		t.Fatalf("Check after a new connect = %+v, %v; want @two", id, err)
	}
	if err := db.DeleteCredentials(t.Context(), "toot"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(t.Context()); herald.KindOf(err) != herald.ErrAuth {
		t.Fatalf("Check after disconnect = %v, want an auth error", err)
	}
}

// TestStoreCopyKeepsConnectedCredentials: `store copy` carries connected
// credentials and rotating tokens to PostgreSQL, where every instance finds
// them.
func TestStoreCopyKeepsConnectedCredentials(t *testing.T) {
	dsn := pgSchema(t)
	clearEnv(t)
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "herald.db")
	lite := teststore.SQLiteAt(t, path)
	if err := lite.SyncAccounts(ctx, []herald.Account{{ID: "x_main", Network: herald.Twitter}}); err != nil {
		t.Fatal(err)
	}
	want := herald.Credentials{Account: "x_main", Network: herald.Twitter, Method: "oauth2",
		Secrets: map[string]string{}, Public: map[string]string{"user_id": "4242", "username": "@daily_news"}}
	v, err := lite.SaveCredentials(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	tok := herald.Token{AccessToken: "access-1", RefreshToken: "refresh-1"}
	if err := lite.SaveToken(ctx, "x_main", tok); err != nil {
		t.Fatal(err)
	}
	lite.Close()

	if code, out, errOut := run(t, "store", "copy", "--from", "sqlite:"+path, "--to", dsn); code != ExitOK {
		t.Fatalf("store copy: exit %d\n%s%s", code, out, errOut)
	}
	pg, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	got, err := pg.LoadCredentials(ctx, "x_main")
	if err != nil || got.Method != "oauth2" || got.Public["username"] != "@daily_news" || got.Version != v {
		t.Fatalf("credentials on PostgreSQL = %+v, %v", got, err)
	}
	if gt, err := pg.LoadToken(ctx, "x_main"); err != nil || gt.RefreshToken != "refresh-1" {
		t.Fatalf("token on PostgreSQL = %+v, %v", gt, err)
	}
}

package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
)

// TestConnectedPublisherFollowsTheStore: a publisher on connected
// credentials uses the ones saved after it was built, at its next call,
// and refuses clearly once they are forgotten.
func TestConnectedPublisherFollowsTheStore(t *testing.T) {
	m, srv := emulator.StartMastodon(emulator.MastodonOptions{})
	t.Cleanup(srv.Close)
	m.AddAccount(emulator.MastodonAccount{ID: "1", Username: "one", Token: "token-one"})
	m.AddAccount(emulator.MastodonAccount{ID: "2", Username: "two", Token: "token-two"})
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
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

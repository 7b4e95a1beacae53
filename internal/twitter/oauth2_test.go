package twitter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit/nettest"
)

func TestOAuth2RotationPersisted(t *testing.T) {
	ctx := context.Background()
	// Access tokens live one minute, less than the early-refresh margin:
	// every call refreshes, so every call rotates the refresh token.
	x, base := emulation(t, emulator.XOptions{AccessTokenLifetime: time.Minute})
	store := &nettest.Tokens{}
	account := "x_alice_news"
	c := client(t, base, alice, Config{Auth: "oauth2"}, store)

	if _, err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
	tok, saves := store.Get(account)
	if saves != 1 || tok.RefreshToken == alice.RefreshToken || tok.RefreshToken != x.RefreshToken(alice.ID) ||
		tok.AccessToken == "" || time.Until(tok.Expiry) > time.Minute {
		t.Fatalf("after first refresh: saves %d, token rotated=%v current=%v", saves,
			tok.RefreshToken != alice.RefreshToken, tok.RefreshToken == x.RefreshToken(alice.ID))
	}
	r := nettest.Publish(ctx, t, c, herald.Message{Text: "Posted with a user token https://example.com/o2"})
	req := lastRequest(t, x, "POST /2/tweets")
	if req.Auth != "oauth2" || req.UserID != alice.ID || r.Permalink != "https://x.com/alice_news/status/"+r.RemoteID {
		t.Errorf("request %+v receipt %+v", req, r)
	}
	tok, saves = store.Get(account)
	if saves != 2 || tok.RefreshToken != x.RefreshToken(alice.ID) {
		t.Fatalf("second rotation not saved: saves %d", saves)
	}

	// A restart: a new Client with the stale configured refresh token (already
	// spent) and the same store. The store's pair wins.
	c2 := client(t, base, alice, Config{Auth: "oauth2", RefreshToken: alice.RefreshToken}, store)
	if ident, err := c2.Check(ctx); err != nil || ident.ID != alice.ID {
		t.Fatalf("after restart: %+v, %v", ident, err)
	}
	if tok, _ = store.Get(account); tok.RefreshToken != x.RefreshToken(alice.ID) {
		t.Errorf("store is behind the emulation after restart")
	}

	// Without the store, the spent configured token is refused: auth.
	c3 := client(t, base, alice, Config{Auth: "oauth2", RefreshToken: alice.RefreshToken}, &nettest.Tokens{})
	_, err := c3.Check(ctx)
	if he := kindOf(t, err, herald.ErrAuth); he.Op != "refresh token" || he.Message != "invalid_request: Value passed for the token was invalid." {
		t.Errorf("spent refresh token: %v", he)
	}

	// Revoked at X: refresh fails, auth.
	emulatortest.ExpireUser(x, alice.ID)
	_, err = c2.Publish(ctx, herald.Message{Text: "after revocation"})
	kindOf(t, err, herald.ErrAuth)
}

func TestOAuth2TokenReusedUntilNearExpiry(t *testing.T) {
	ctx := context.Background()
	x, base := emulation(t, emulator.XOptions{}) // 2 h access tokens
	store := &nettest.Tokens{}
	c := client(t, base, bob, Config{Auth: "oauth2"}, store) // a public client: no secret
	for range 3 {
		if _, err := c.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, saves := store.Get("x_bob_news"); saves != 1 || x.Count("POST /2/oauth2/token") != 1 {
		t.Errorf("saves %d, refreshes %d: want one each", saves, x.Count("POST /2/oauth2/token"))
	}

	// X ends the access token early: one refresh and a retry, no error.
	emulatortest.ExpireAccessTokens(x, bob.ID)
	nettest.Publish(ctx, t, c, herald.Message{Text: "after an early expiry"})
	if n := x.Count("POST /2/oauth2/token"); n != 2 {
		t.Errorf("refreshes %d, want 2", n)
	}
}

func TestOAuth2SaveRetried(t *testing.T) {
	ctx := context.Background()
	x, base := emulation(t, emulator.XOptions{})
	store := &nettest.Tokens{}
	store.FailSaves(errors.New("disk full"))
	c := client(t, base, bob, Config{Auth: "oauth2"}, store)
	// The refresh worked but the pair could not be stored: the call still
	// succeeds with the pair held in memory...
	if _, err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if _, saves := store.Get("x_bob_news"); saves != 0 {
		t.Fatalf("saves %d", saves)
	}
	// ...and the next call stores it, without another refresh.
	store.FailSaves(nil)
	if _, err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
	tok, saves := store.Get("x_bob_news")
	if saves != 1 || tok.RefreshToken != x.RefreshToken(bob.ID) || x.Count("POST /2/oauth2/token") != 1 {
		t.Errorf("saves %d, current %v, refreshes %d", saves, tok.RefreshToken == x.RefreshToken(bob.ID), x.Count("POST /2/oauth2/token"))
	}
}

// TestOAuth2TwoInstancesShareRotatingTokens: two instances on one store
// both keep posting although each refresh spends the other's refresh
// token: the one refused finds the pair the other stored.
func TestOAuth2TwoInstancesShareRotatingTokens(t *testing.T) {
	ctx := context.Background()
	_, base := emulation(t, emulator.XOptions{AccessTokenLifetime: time.Minute})
	store := &nettest.Tokens{}
	a := client(t, base, alice, Config{Auth: "oauth2", RefreshToken: alice.RefreshToken}, store)
	b := client(t, base, alice, Config{Auth: "oauth2", RefreshToken: alice.RefreshToken}, store)
	for i := range 3 {
		if _, err := a.Check(ctx); err != nil {
			t.Fatalf("instance a, round %d: %v", i, err)
		}
		if _, err := b.Check(ctx); err != nil {
			t.Fatalf("instance b, round %d: %v", i, err)
		}
	}
}

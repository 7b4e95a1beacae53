package twitter

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/testkit/nettest"
)

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

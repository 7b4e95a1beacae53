package secrets_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/secrets"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

func newSealer(t *testing.T, b byte) *secrets.Sealer {
	t.Helper()
	key, err := secrets.ParseKey(base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune('a'+b)), 32))))
	if err != nil {
		t.Fatal(err)
	}
	s, err := secrets.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseKey(t *testing.T) {
	for _, ok := range []string{
		"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY",
		"3031323334353637383961626364656630313233343536373839616263646566", "  MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n",
	} {
		if k, err := secrets.ParseKey(ok); err != nil || len(k) != 32 {
			t.Errorf("ParseKey(%q) = %d bytes, %v", ok, len(k), err)
		}
	}
	for _, bad := range []string{"", "short", "MDEyMzQ1Njc4OWFiY2RlZg==", "correct horse battery staple"} {
		if _, err := secrets.ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q): no error", bad)
		}
	}
}

func TestSealOpen(t *testing.T) {
	s := newSealer(t, 0)
	v := s.Seal("oauth2:x:access", "tok-123")
	if !secrets.Sealed(v) || strings.Contains(v, "tok-123") || v == s.Seal("oauth2:x:access", "tok-123") {
		t.Fatalf("sealed %q: want a fresh ciphertext each time, without the plaintext", v)
	}
	if got, err := s.Open("oauth2:x:access", v); err != nil || got != "tok-123" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := s.Open("oauth2:y:access", v); err == nil {
		t.Error("a value opened under another field")
	}
	if _, err := newSealer(t, 1).Open("oauth2:x:access", v); err == nil || !strings.Contains(err.Error(), "another") {
		t.Errorf("wrong key: %v", err)
	}
	var none *secrets.Sealer
	if _, err := none.Open("oauth2:x:access", v); !errors.Is(err, secrets.ErrNoKey) {
		t.Errorf("no key: %v", err)
	}
	if none.Seal("f", "plain") != "plain" || s.Seal("f", "") != "" {
		t.Error("no key or an empty value must stay as is")
	}
	if got, err := s.Open("f", "legacy-plaintext"); err != nil || got != "legacy-plaintext" {
		t.Errorf("plaintext row: %q, %v", got, err)
	}
}

// TestStoreSealsAtRest: through the wrapper, tokens and WebSub secrets reach
// the database sealed and come back in clear; SealAll seals the rows
// written before the key was set.
func TestStoreSealsAtRest(t *testing.T) {
	ctx := context.Background()
	raw := teststore.SQLite(t)
	if err := raw.SyncAccounts(ctx, []herald.Account{{ID: "x", Network: herald.Twitter}, {ID: "sky", Network: herald.Bluesky}}); err != nil {
		t.Fatal(err)
	}
	if err := raw.SyncSources(ctx, []herald.SourceSpec{{Name: "world", URL: "https://news.example/world.xml"}}); err != nil {
		t.Fatal(err)
	}
	src, err := raw.GetSource(ctx, "world")
	if err != nil {
		t.Fatal(err)
	}
	// Written before a key was set: plaintext.
	if err := raw.SaveToken(ctx, "x", herald.Token{AccessToken: "old-access", RefreshToken: "old-refresh"}); err != nil {
		t.Fatal(err)
	}
	lease := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := raw.SetPush(ctx, src.ID, herald.PushState{HubURL: "https://hub.example/", State: "active", Secret: "old-hub-secret", LeaseUntil: lease}); err != nil {
		t.Fatal(err)
	}

	s := newSealer(t, 0)
	n, err := secrets.SealAll(ctx, raw, s, time.Now())
	if err != nil || n != 2 {
		t.Fatalf("SealAll = %d, %v; want 2 sealed", n, err)
	}
	if n, err := secrets.SealAll(ctx, raw, s, time.Now()); err != nil || n != 0 {
		t.Fatalf("SealAll again = %d, %v; want nothing left", n, err)
	}
	w := secrets.Wrap(raw, s)
	if err := w.SaveToken(ctx, "sky", herald.Token{AccessToken: "new-access", RefreshToken: "new-refresh"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"x", "sky"} {
		rt, err := raw.LoadToken(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !secrets.Sealed(rt.AccessToken) || !secrets.Sealed(rt.RefreshToken) || strings.Contains(rt.AccessToken+rt.RefreshToken, "access") {
			t.Errorf("%s: stored %+v, want sealed", id, rt)
		}
	}
	if tok, err := w.LoadToken(ctx, "x"); err != nil || tok.AccessToken != "old-access" || tok.RefreshToken != "old-refresh" {
		t.Errorf("x through the wrapper: %+v, %v", tok, err)
	}
	rs, _ := raw.GetSource(ctx, "world")
	if !secrets.Sealed(rs.PushSecret) || rs.PushState != "active" || !rs.PushLeaseUntil.Equal(lease) || rs.HubURL != "https://hub.example/" {
		t.Errorf("stored source %+v: want the secret sealed and the rest kept", rs)
	}
	for name, get := range map[string]func() (herald.Source, error){
		"GetSource": func() (herald.Source, error) { return w.GetSource(ctx, "world") },
		"ListSources": func() (herald.Source, error) {
			l, err := w.ListSources(ctx)
			if err != nil || len(l) == 0 {
				return herald.Source{}, err
			}
			return l[0], nil
		},
	} {
		if ws, err := get(); err != nil || ws.PushSecret != "old-hub-secret" {
			t.Errorf("%s through the wrapper: %q, %v", name, ws.PushSecret, err)
		}
	}
	// Without the key, a sealed value is an error, not a wrong token.
	if _, err := secrets.Wrap(raw, nil).LoadToken(ctx, "x"); !errors.Is(err, secrets.ErrNoKey) {
		t.Errorf("no key: %v", err)
	}
}

package twitter

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
	"github.com/heraldhq/herald/internal/testkit/nettest"
)

var (
	alice = emulator.XUser{ID: "2001", Username: "alice_news", ConsumerKey: "app-key", ConsumerSecret: "app-secret-zz1",
		AccessToken: "2001-alice-token", AccessTokenSecret: "alice-secret-zz2", ClientID: "client-1",
		ClientSecret: "client-secret-zz3", RefreshToken: "refresh-zz4", V11Access: true}
	bob = emulator.XUser{ID: "2002", Username: "bob_news", ConsumerKey: "app-key", ConsumerSecret: "app-secret-zz1",
		AccessToken: "2002-bob-token", AccessTokenSecret: "bob-secret-zz5", ClientID: "client-2", RefreshToken: "refresh-zz6"}
	secrets = []string{"app-secret-zz1", "alice-secret-zz2", "client-secret-zz3", "refresh-zz4", "bob-secret-zz5",
		"refresh-zz6", "2001-alice-token", "2002-bob-token"}
)

// emulation starts an X emulation with alice and bob registered.
func emulation(t *testing.T, opts emulator.XOptions) (*emulator.X, string) {
	t.Helper()
	opts.Users = append(opts.Users, alice, bob)
	x, srv := emulator.StartX(opts)
	t.Cleanup(srv.Close)
	return x, srv.URL
}

// bothAPIs runs test once per API, "v2" and "v1.1", each time with a new
// emulation and a client for alice.
func bothAPIs(t *testing.T, test func(t *testing.T, api string, x *emulator.X, c *Client)) {
	for _, api := range []string{"v2", "v1.1"} {
		t.Run(api, func(t *testing.T) {
			x, base := emulation(t, emulator.XOptions{})
			test(t, api, x, client(t, base, alice, Config{API: api}, nil))
		})
	}
}

// client returns a Client for user u against base; cfg fields set by the
// caller win. Its log output is checked for secrets at the end of the test.
func client(t *testing.T, base string, u emulator.XUser, cfg Config, tokens herald.TokenStore) *Client {
	t.Helper()
	cfg.AccountID = "x_" + u.Username
	cfg.BaseURL = base
	if cfg.Auth == "oauth2" {
		cfg.ClientID, cfg.ClientSecret = u.ClientID, u.ClientSecret
		if cfg.RefreshToken == "" {
			cfg.RefreshToken = u.RefreshToken
		}
	} else {
		cfg.ConsumerKey, cfg.ConsumerSecret = u.ConsumerKey, u.ConsumerSecret
		cfg.AccessToken, cfg.AccessTokenSecret = u.AccessToken, u.AccessTokenSecret
	}
	if cfg.HTTPTimeout == 0 {
		cfg.HTTPTimeout = 5 * time.Second
	}
	out := &testkit.Buffer{}
	c, err := New(cfg, tokens, slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { noSecret(t, "log", out.String()) })
	return c
}

func noSecret(t *testing.T, where, s string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s contains a secret (%s…): %s", where, sec[:4], s)
		}
	}
}

// kindOf asserts err is a *herald.Error of kind want and returns it.
func kindOf(t *testing.T, err error, want herald.ErrorKind) *herald.Error {
	t.Helper()
	var he *herald.Error
	if !errors.As(err, &he) {
		t.Fatalf("error %v (%T) is not a *herald.Error", err, err)
	}
	if he.Kind != want || he.Network != herald.Twitter {
		t.Fatalf("error %v: kind %q, want %q", err, he.Kind, want)
	}
	noSecret(t, "error", he.Error())
	return he
}

func lastRequest(t *testing.T, x *emulator.X, route string) emulator.XRequest {
	t.Helper()
	reqs := x.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Route == route {
			return reqs[i]
		}
	}
	t.Fatalf("no %s request", route)
	return emulator.XRequest{}
}

func TestNewValidates(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{AccountID: "a", API: "v3"}, "api"},
		{Config{AccountID: "a", Auth: "basic"}, "auth"},
		{Config{AccountID: "a", API: "v1.1", Auth: "oauth2", ClientID: "c"}, "auth"},
		{Config{AccountID: "a", ConsumerKey: "k", ConsumerSecret: "s", AccessToken: "t"}, "access_token_secret"},
		{Config{AccountID: "a", Auth: "oauth2"}, "client_id"},
		{Config{AccountID: "a", ConsumerKey: "k", ConsumerSecret: "s", AccessToken: "t", AccessTokenSecret: "u", BaseURL: "::"}, "api_base_url"},
	} {
		_, err := New(tt.cfg, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
}

func TestPublishOAuth1(t *testing.T) {
	x, base := emulation(t, emulator.XOptions{})
	c := client(t, base, alice, Config{}, nil)
	text := "Peña Nieto y Videgaray — “reunión” https://example.com/mexico/1?utm_source=x&utm_medium=social"
	r, err := c.Publish(context.Background(), herald.Message{Text: text, Link: "https://example.com/mexico/1"})
	if err != nil {
		t.Fatal(err)
	}
	posts := x.PostsByUser(alice.ID)
	if len(posts) != 1 || posts[0].Text != text || posts[0].API != "v2" {
		t.Fatalf("emulation recorded %+v", posts)
	}
	if r.RemoteID != posts[0].ID || r.Permalink != "https://x.com/alice_news/status/"+posts[0].ID {
		t.Errorf("receipt %+v", r)
	}
	req := lastRequest(t, x, "POST /2/tweets")
	if !req.SignatureValid || req.Auth != "oauth1" || req.UserID != alice.ID || req.Status != 201 {
		t.Errorf("request %+v", req)
	}
	if len(r.Limits) != 2 || r.Limits[0].Limit != 100 || r.Limits[0].Remaining != 99 || r.Limits[0].Reset.Before(time.Now()) ||
		r.Limits[1].Limit != 2400 {
		t.Errorf("limits %+v", r.Limits)
	}
	ident, err := c.Check(context.Background())
	if err != nil || ident.ID != alice.ID || ident.Name != "@alice_news" {
		t.Errorf("Check = %+v, %v", ident, err)
	}
}

func TestPublishV11(t *testing.T) {
	x, base := emulation(t, emulator.XOptions{})
	ctx := context.Background()
	c := client(t, base, alice, Config{API: "v1.1"}, nil)
	text := "Old API still works https://example.com/v11"
	r := nettest.Publish(ctx, t, c, herald.Message{Text: text})
	req := lastRequest(t, x, "POST /1.1/statuses/update.json")
	// go-twitter asked for api.twitter.com; the host was rewritten before
	// signing, so the emulation verifies the signature for its own address.
	if !req.SignatureValid || req.Status != 200 {
		t.Errorf("request %+v", req)
	}
	p, ok := x.Post(r.RemoteID)
	if !ok || p.Text != text || p.API != "v1.1" || r.Permalink != "https://x.com/alice_news/status/"+r.RemoteID {
		t.Errorf("post %+v receipt %+v", p, r)
	}
	if len(r.Limits) == 0 || r.Limits[0].Limit != 100 {
		t.Errorf("limits %+v", r.Limits)
	}

	_, err := c.Publish(ctx, herald.Message{Text: text})
	if he := kindOf(t, err, herald.ErrDuplicate); he.Code != 187 {
		t.Errorf("duplicate: %v", he)
	}
	_, err = c.Publish(ctx, herald.Message{Text: strings.Repeat("x", 281)})
	if he := kindOf(t, err, herald.ErrPermanent); he.Code != 186 {
		t.Errorf("too long: %v", he)
	}
	// A 503 with an empty body: go-twitter's error is nil, the status is not.
	emulatortest.Faults(x).Next(emulator.FaultServerError)
	_, err = c.Publish(ctx, herald.Message{Text: "during an outage"})
	if he := kindOf(t, err, herald.ErrRetryable); he.Status != 503 {
		t.Errorf("503: %v", he)
	}
	emulatortest.Faults(x).Next(emulator.FaultRateLimit)
	_, err = c.Publish(ctx, herald.Message{Text: "too fast"})
	if he := kindOf(t, err, herald.ErrRateLimited); he.Code != 88 || he.RetryAt.IsZero() || time.Until(he.RetryAt) > 5*time.Second {
		t.Errorf("429: %v retry at %v", he, he.RetryAt)
	}
	emulatortest.Faults(x).Next(emulator.FaultDrop)
	_, err = c.Publish(ctx, herald.Message{Text: "answer lost https://example.com/lost"})
	kindOf(t, err, herald.ErrUnknownOutcome)

	// An account on a current access level gets 453: auth, explained.
	cb := client(t, base, bob, Config{API: "v1.1"}, nil)
	_, err = cb.Publish(ctx, herald.Message{Text: "hello"})
	if he := kindOf(t, err, herald.ErrAuth); he.Code != 453 || !strings.Contains(he.Message, "subset of X API V2") {
		t.Errorf("453: %v", he)
	}
	ident, err := c.Check(ctx)
	if err != nil || ident.Name != "@alice_news" {
		t.Errorf("Check = %+v, %v", ident, err)
	}
}

// BenchmarkPublish measures a post through the real signing client to the
// emulation over loopback: the publisher's share of job-to-API latency.
func BenchmarkPublish(b *testing.B) {
	x, srv := emulator.StartX(emulator.XOptions{Users: []emulator.XUser{alice}, PostLimit: -1, PostLimit24h: -1})
	defer srv.Close()
	c, err := New(Config{AccountID: "bench", BaseURL: srv.URL, ConsumerKey: alice.ConsumerKey,
		ConsumerSecret: alice.ConsumerSecret, AccessToken: alice.AccessToken, AccessTokenSecret: alice.AccessTokenSecret}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := c.Publish(ctx, herald.Message{Text: "Story " + strconv.Itoa(i) + " https://example.com/" + strconv.Itoa(i)}); err != nil {
			b.Fatal(err)
		}
	}
	if len(x.Posts()) != i {
		b.Fatalf("posts %d, want %d", len(x.Posts()), i)
	}
}

// TestReplyThread posts a thread of three, each post answering the one
// before, through both APIs; a reply to a deleted post is refused on v2,
// as retryable (X says the same of a post made a moment ago), not as a
// credentials matter that would pause the account.
func TestReplyThread(t *testing.T) {
	bothAPIs(t, func(t *testing.T, api string, x *emulator.X, c *Client) {
		ctx := context.Background()
		nettest.PublishThread(ctx, t, c, nil)
		posts := x.PostsByUser(alice.ID)
		if len(posts) != 3 || posts[0].InReplyTo != "" || posts[1].InReplyTo != posts[0].ID ||
			posts[2].InReplyTo != posts[1].ID {
			t.Fatalf("thread = %+v", posts)
		}
		if api != "v2" {
			return
		}
		if err := c.Delete(ctx, posts[2].ID); err != nil {
			t.Fatal(err)
		}
		_, err := c.Publish(ctx, herald.Message{Text: "late reply", ReplyTo: posts[2].ID})
		kindOf(t, err, herald.ErrRetryable)
	})
}

package mastodon_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/mastodon"
	"github.com/heraldhq/herald/internal/testkit/nettest"
)

const (
	token     = "masto-token-secret-42"
	accountID = "109000000000000001"
)

type fixture = nettest.Fixture[*emulator.Mastodon, *mastodon.Client]

func setup(t *testing.T, opts emulator.MastodonOptions, edit func(*mastodon.Config)) *fixture {
	t.Helper()
	f := nettest.Start[*emulator.Mastodon, *mastodon.Client](t, func(now func() time.Time) (*emulator.Mastodon, *httptest.Server) {
		opts.Now = now
		return emulator.StartMastodon(opts)
	})
	f.Emu.AddAccount(emulator.MastodonAccount{ID: accountID, Username: "dailynews", Token: token})
	cfg := mastodon.Config{AccountID: "masto", InstanceURL: f.URL, AccessToken: token,
		Visibility: "unlisted", Language: "es", HTTPTimeout: 5 * time.Second, Now: f.Clock.Now}
	f.Client = nettest.Build(t, cfg, edit, func(cfg mastodon.Config) (*mastodon.Client, error) { return mastodon.New(cfg, nil) })
	return f
}

func msg(text, key string) herald.Message {
	return herald.Message{Text: text, IdempotencyKey: key}
}

// asError returns err as a *herald.Error and checks it keeps the token out.
func asError(t *testing.T, err error) *herald.Error {
	t.Helper()
	return nettest.AsError(t, err, herald.Mastodon, token)
}

func TestPublish(t *testing.T) {
	f := setup(t, emulator.MastodonOptions{}, nil)
	text := "Tormenta en la costa: ¿qué sabemos? https://news.example/storm?utm_source=mastodon&utm_medium=social"
	r, p := nettest.PublishOnly(context.Background(), t, f.Client, msg(text, "herald-1-masto-0"), f.Emu.Posts)
	if p.Text != text || p.Visibility != "unlisted" || p.Language != "es" || p.IdempotencyKey != "herald-1-masto-0" ||
		p.AccountID != accountID {
		t.Errorf("status = %+v", p)
	}
	if r.RemoteID != p.ID || r.Permalink != "https://mastodon.example/@dailynews/"+p.ID || !r.At.Equal(f.Clock.Now()) {
		t.Errorf("receipt = %+v for status %s", r, p.ID)
	}
	if len(r.Limits) != 1 || r.Limits[0].Limit != 300 || r.Limits[0].Remaining != 299 ||
		!r.Limits[0].Reset.Equal(f.Clock.Now().Truncate(3*time.Hour).Add(3*time.Hour)) {
		t.Errorf("limits = %+v", r.Limits)
	}
	if f.Client.Network() != herald.Mastodon {
		t.Errorf("network = %q", f.Client.Network())
	}
}

// TestIdempotencyAfterDrop: the server makes the status and the answer is
// lost; sending again with the same key returns that status, not a second.
func TestIdempotencyAfterDrop(t *testing.T) {
	f := setup(t, emulator.MastodonOptions{}, nil)
	ctx := context.Background()
	m := msg("Storm hits the coast https://news.example/storm", "herald-7-masto-0")
	emulatortest.Faults(f.Emu).Next(emulator.FaultDrop)
	_, err := f.Client.Publish(ctx, m)
	if he := asError(t, err); he.Kind != herald.ErrUnknownOutcome {
		t.Fatalf("kind = %s, want unknown_outcome (%v)", he.Kind, err)
	}
	r := nettest.Publish(ctx, t, f.Client, m)
	posts := f.Emu.Posts()
	if len(posts) != 1 || r.RemoteID != posts[0].ID {
		t.Fatalf("%d statuses, receipt %s: the retry duplicated the post", len(posts), r.RemoteID)
	}
	// An hour later the key is forgotten, as on a real server.
	f.Clock.Advance(61 * time.Minute)
	nettest.Publish(ctx, t, f.Client, m)
	// Another job's key is another status.
	nettest.Publish(ctx, t, f.Client, msg(m.Text, "herald-7-masto-1"))
	if n := len(f.Emu.Posts()); n != 3 {
		t.Errorf("%d statuses, want 3", n)
	}
}

// TestLength: 500 characters with every link counted as 23.
func TestLength(t *testing.T) {
	f := setup(t, emulator.MastodonOptions{}, nil)
	link := "https://news.example/" + strings.Repeat("long-path/", 20)
	fits := strings.Repeat("é", 500-23-1) + " " + link
	if _, err := f.Client.Publish(context.Background(), msg(fits, "a")); err != nil {
		t.Fatalf("500 characters: %v", err)
	}
	_, err := f.Client.Publish(context.Background(), msg("é"+fits, "b"))
	he := asError(t, err)
	if he.Kind != herald.ErrPermanent || he.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(he.Message, "character limit of 500") {
		t.Errorf("501 characters: %+v", he)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("revoked token", func(t *testing.T) {
		f := setup(t, emulator.MastodonOptions{}, nil)
		emulatortest.RevokeToken(f.Emu, token)
		_, err := f.Client.Publish(ctx, msg("x", "k"))
		if he := asError(t, err); he.Kind != herald.ErrAuth || he.Status != 401 || he.Message != "The access token is invalid" {
			t.Errorf("%+v", he)
		}
	})
	t.Run("missing scope", func(t *testing.T) {
		f := setup(t, emulator.MastodonOptions{}, nil)
		f.Emu.AddAccount(emulator.MastodonAccount{ID: accountID, Username: "dailynews", Token: token, Scopes: []string{"read"}})
		_, err := f.Client.Publish(ctx, msg("x", "k"))
		if he := asError(t, err); he.Kind != herald.ErrAuth || he.Status != 403 {
			t.Errorf("%+v", he)
		}
	})
	t.Run("injected 429", func(t *testing.T) {
		f := setup(t, emulator.MastodonOptions{FaultReset: 90 * time.Second}, nil)
		emulatortest.Faults(f.Emu).Next(emulator.FaultRateLimit)
		_, err := f.Client.Publish(ctx, msg("x", "k"))
		he := asError(t, err)
		if he.Kind != herald.ErrRateLimited || !he.RetryAt.Equal(f.Clock.Now().Add(90*time.Second)) {
			t.Errorf("%+v", he)
		}
		if len(f.Emu.Posts()) != 0 {
			t.Error("a throttled request made a status")
		}
	})
	t.Run("status limit", func(t *testing.T) {
		f := setup(t, emulator.MastodonOptions{StatusLimit: 1, StatusWindow: time.Hour}, nil)
		r, err := f.Client.Publish(ctx, msg("one", "k1"))
		if err != nil || len(r.Limits) != 1 || r.Limits[0].Remaining != 0 {
			t.Fatalf("first: %v %+v", err, r.Limits)
		}
		_, err = f.Client.Publish(ctx, msg("two", "k2"))
		he := asError(t, err)
		if he.Kind != herald.ErrRateLimited || !he.RetryAt.Equal(f.Clock.Now().Truncate(time.Hour).Add(time.Hour)) {
			t.Errorf("%+v", he)
		}
	})
	t.Run("503 from a proxy", func(t *testing.T) {
		f := setup(t, emulator.MastodonOptions{}, nil)
		emulatortest.Faults(f.Emu).Next(emulator.FaultServerError)
		_, err := f.Client.Publish(ctx, msg("x", "k"))
		if he := asError(t, err); he.Kind != herald.ErrRetryable || he.Status != 503 || !strings.Contains(he.Message, "non-JSON") {
			t.Errorf("%+v", he)
		}
	})
	t.Run("bad visibility", func(t *testing.T) {
		if _, err := mastodon.New(mastodon.Config{InstanceURL: "https://m.example", AccessToken: "t", Visibility: "friends"}, nil); err == nil {
			t.Error("visibility friends accepted")
		}
	})
}

// TestGatewayAndNoServer: a gateway timeout on a post may hide a status
// made; a refused connection certainly did not make one.
func TestGatewayAndNoServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			t.Errorf("authorization header %q", r.Header.Get("Authorization"))
		}
		w.WriteHeader(http.StatusGatewayTimeout)
	}))
	t.Cleanup(srv.Close)
	c, err := mastodon.New(mastodon.Config{InstanceURL: srv.URL, AccessToken: token}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Publish(context.Background(), msg("x", "k"))
	if he := asError(t, err); he.Kind != herald.ErrUnknownOutcome || he.Status != 504 {
		t.Errorf("504: %+v", he)
	}
	if he := asError(t, c.Delete(context.Background(), "1")); he.Kind != herald.ErrRetryable {
		t.Errorf("504 on delete: %+v", he)
	}
	srv.Close()
	_, err = c.Publish(context.Background(), msg("x", "k"))
	if he := asError(t, err); he.Kind != herald.ErrRetryable {
		t.Errorf("refused: %+v", he)
	}
}

func TestEngagementAndDelete(t *testing.T) {
	f := setup(t, emulator.MastodonOptions{}, nil)
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		r := nettest.Publish(ctx, t, f.Client, msg(fmt.Sprintf("Story %d https://news.example/%d", i, i), fmt.Sprint(i)))
		ids = append(ids, r.RemoteID)
	}
	f.Emu.SetEngagement(ids[0], emulator.MastodonEngagement{Reblogs: 7, Favourites: 21, Replies: 3})
	if err := f.Client.Delete(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	if err := f.Client.Delete(ctx, ids[2]); err != nil {
		t.Errorf("deleting a deleted status: %v", err)
	}
	if !f.Emu.Posts()[2].Deleted {
		t.Error("status not deleted")
	}
	counts, gone, err := f.Client.Engagement(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if got := counts[ids[0]]; got != (herald.Engagement{Shares: 7, Reactions: 21, Comments: 3}) {
		t.Errorf("engagement = %+v", got)
	}
	if _, ok := counts[ids[1]]; !ok || len(counts) != 2 {
		t.Errorf("counts = %+v", counts)
	}
	if len(gone) != 1 || gone[0] != ids[2] {
		t.Errorf("gone = %v", gone)
	}
	if he := asError(t, f.Client.Delete(ctx, "../accounts")); he.Kind != herald.ErrPermanent {
		t.Errorf("%+v", he)
	}
}

func TestFindPost(t *testing.T) {
	f := setup(t, emulator.MastodonOptions{}, nil)
	ctx := context.Background()
	start := f.Clock.Now()
	link := func(i int) string {
		return fmt.Sprintf("https://news.example/2026/04/01/a-long-story-slug-%d?utm_source=mastodon&utm_medium=social", i)
	}
	var want herald.Receipt
	for i := range 45 {
		r := nettest.Publish(ctx, t, f.Client, msg("Story "+link(i), fmt.Sprint(i)))
		if i == 2 {
			want = r
		}
		f.Clock.Advance(time.Minute)
	}
	r, found, reads, err := f.Client.FindPost(ctx, link(2), start)
	if err != nil || !found {
		t.Fatalf("found %v, err %v", found, err)
	}
	if r.RemoteID != want.RemoteID || r.Permalink != want.Permalink || !r.At.Equal(want.At) {
		t.Errorf("receipt = %+v, want %+v", r, want)
	}
	if reads != 45 { // a full page of 40, then 5
		t.Errorf("reads = %d", reads)
	}
	// Looking only at the last ten minutes stops at the first older status.
	_, found, reads, err = f.Client.FindPost(ctx, link(2), f.Clock.Now().Add(-10*time.Minute))
	if err != nil || found || reads > 40 {
		t.Errorf("found %v reads %d err %v", found, reads, err)
	}
	_, found, _, err = f.Client.FindPost(ctx, "https://news.example/never", start)
	if err != nil || found {
		t.Errorf("found %v err %v", found, err)
	}
}

func TestCheck(t *testing.T) {
	f := setup(t, emulator.MastodonOptions{}, nil)
	id, err := f.Client.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id.ID != accountID || !strings.HasPrefix(id.Name, "@dailynews@") {
		t.Errorf("identity = %+v", id)
	}
	emulatortest.RevokeToken(f.Emu, token)
	_, err = f.Client.Check(context.Background())
	if he := asError(t, err); he.Kind != herald.ErrAuth {
		t.Errorf("%+v", he)
	}
}

// TestReplyThread posts a thread of three, each status answering the one
// before; a reply to a status that is not there is refused for good.
func TestReplyThread(t *testing.T) {
	f := setup(t, emulator.MastodonOptions{}, nil)
	ctx := context.Background()
	nettest.PublishThread(ctx, t, f.Client, func(i int, text string) herald.Message {
		return msg(text, "digest-"+string(rune('a'+i)))
	})
	posts := f.Emu.Posts()
	if len(posts) != 3 || posts[0].InReplyToID != "" || posts[1].InReplyToID != posts[0].ID ||
		posts[2].InReplyToID != posts[1].ID {
		t.Fatalf("thread = %+v", posts)
	}
	m := msg("late reply", "digest-z")
	m.ReplyTo = "1"
	_, err := f.Client.Publish(ctx, m)
	if he := asError(t, err); he.Kind != herald.ErrPermanent {
		t.Errorf("reply to a missing status: kind %v", he.Kind)
	}
}

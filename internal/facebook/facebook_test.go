package facebook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/facebook"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit/nettest"
)

const (
	pageID    = "104857600"
	pageToken = "EAAGpageTokenSecret123"
	appID     = "424242"
	appSecret = "s3cr3t-app"
)

type fixture = nettest.Fixture[*emulator.Graph, *facebook.Client]

// setup starts a Graph with one page and a client for it.
func setup(t *testing.T, opts emulator.GraphOptions, edit func(*facebook.Config)) *fixture {
	t.Helper()
	f := nettest.Start[*emulator.Graph, *facebook.Client](t, func(now func() time.Time) (*emulator.Graph, *httptest.Server) {
		if opts.Now == nil {
			opts.Now = now
		}
		return emulator.StartGraph(opts)
	})
	f.Emu.AddPage(emulator.GraphPage{ID: pageID, Name: "The Daily", AccessToken: pageToken, AppID: appID, AppSecret: appSecret})
	cfg := facebook.Config{AccountID: "fb_page", PageID: pageID, PageAccessToken: pageToken,
		AppID: appID, AppSecret: appSecret, GraphBaseURL: f.URL, HTTPTimeout: 5 * time.Second, Now: f.Clock.Now}
	f.Client = nettest.Build(t, cfg, edit, func(cfg facebook.Config) (*facebook.Client, error) { return facebook.New(cfg, nil) })
	return f
}

func msg(text, link string) herald.Message { return herald.Message{Text: text, Link: link} }

// asError returns err as a *herald.Error and checks it keeps every secret out.
func asError(t *testing.T, err error) *herald.Error {
	t.Helper()
	return nettest.AsError(t, err, herald.Facebook, pageToken, appSecret)
}

func TestPublish(t *testing.T) {
	f := setup(t, emulator.GraphOptions{RequireAppsecretProof: true, PageCallLimit: 10}, nil)
	r, p := nettest.PublishOnly(context.Background(), t, f.Client, msg("Storm hits the coast", "https://news.example/storm?utm_source=facebook"), f.Emu.Posts)
	if p.Message != "Storm hits the coast" || p.Link != "https://news.example/storm?utm_source=facebook" || p.PageID != pageID {
		t.Errorf("post = %+v", p)
	}
	if !p.ProofSent || !p.ProofValid {
		t.Errorf("appsecret_proof sent %v valid %v", p.ProofSent, p.ProofValid)
	}
	_, post, _ := strings.Cut(p.ID, "_")
	if r.RemoteID != p.ID || r.Permalink != "https://www.facebook.com/"+pageID+"/posts/"+post || !r.At.Equal(f.Clock.Now()) {
		t.Errorf("receipt = %+v for post %s", r, p.ID)
	}
	// One call of ten: the page (X-Page-Usage and the business use case) has 90 % left.
	if len(r.Limits) != 3 || r.Limits[1].Limit != 100 || r.Limits[1].Remaining != 90 || r.Limits[2].Remaining != 90 {
		t.Errorf("limits = %+v, want app, page and business use case usage", r.Limits)
	}
	for _, req := range f.Emu.Requests() {
		if req.TokenVia != "header" {
			t.Errorf("token sent in the %s, want the Authorization header", req.TokenVia)
		}
	}
	if f.Client.Network() != herald.Facebook {
		t.Errorf("network = %q", f.Client.Network())
	}
}

// TestAppsecretProofValue checks the proof sent against HMAC-SHA256(app
// secret, token) computed here, independently of the library and the emulation.
func TestAppsecretProofValue(t *testing.T) {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(pageToken))
	want := hex.EncodeToString(m.Sum(nil))

	g := emulator.NewGraph(emulator.GraphOptions{})
	g.AddPage(emulator.GraphPage{ID: pageID, Name: "The Daily", AccessToken: pageToken, AppID: appID, AppSecret: appSecret})
	var mu sync.Mutex
	var proofs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err == nil {
			mu.Lock()
			proofs = append(proofs, r.Form.Get("appsecret_proof"))
			mu.Unlock()
		}
		g.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := facebook.New(facebook.Config{PageID: pageID, PageAccessToken: pageToken, AppID: appID,
		AppSecret: appSecret, GraphBaseURL: srv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(context.Background(), msg("x", "")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Engagement(context.Background(), []string{g.Posts()[0].ID}); err != nil {
		t.Fatal(err)
	}
	if len(proofs) != 2 || proofs[0] != want || proofs[1] != want {
		t.Errorf("proofs sent %q, want %q on the POST and the GET", proofs, want)
	}

	wrong := setup(t, emulator.GraphOptions{}, func(c *facebook.Config) { c.AppSecret = "not-the-secret" })
	_, err = wrong.Client.Publish(context.Background(), msg("x", ""))
	he := asError(t, err)
	if he.Kind != herald.ErrAuth || he.Code != 100 || !strings.Contains(he.Message, "Invalid appsecret_proof") {
		t.Errorf("wrong app secret: %+v", he)
	}
	if strings.Contains(fmt.Sprint(err), "not-the-secret") {
		t.Errorf("error shows the secret: %v", err)
	}
}

func TestPublishErrors(t *testing.T) {
	type tc struct {
		name  string
		opts  emulator.GraphOptions
		prep  func(f *fixture)
		kind  herald.ErrorKind
		code  int
		check func(t *testing.T, f *fixture, he *herald.Error)
	}
	cases := []tc{
		{name: "expired token", prep: func(f *fixture) { emulatortest.ExpirePage(f.Emu, pageID) }, kind: herald.ErrAuth, code: 190,
			check: func(t *testing.T, _ *fixture, he *herald.Error) {
				if !strings.Contains(he.Message, "Session has expired") || !strings.Contains(he.Message, "subcode 463") || he.Status != 400 {
					t.Errorf("expired: %+v", he)
				}
			}},
		{name: "duplicate", prep: func(f *fixture) {
			if _, err := f.Client.Publish(context.Background(), msg("Same", "https://news.example/same")); err != nil {
				panic(err)
			}
		}, kind: herald.ErrDuplicate, code: 506},
		{name: "missing permission", prep: func(f *fixture) {
			f.Emu.AddPage(emulator.GraphPage{ID: pageID, Name: "The Daily", AccessToken: pageToken, AppID: appID,
				AppSecret: appSecret, Scopes: []string{"pages_read_engagement"}})
		}, kind: herald.ErrAuth, code: 200},
		{name: "injected 613 throttle", opts: emulator.GraphOptions{RegainAccess: 7 * time.Minute},
			prep: func(f *fixture) { emulatortest.Faults(f.Emu).Next(emulator.FaultRateLimit) }, kind: herald.ErrRateLimited, code: 613,
			check: func(t *testing.T, f *fixture, he *herald.Error) {
				if want := f.Clock.Now().Add(7 * time.Minute); !he.RetryAt.Equal(want) {
					t.Errorf("RetryAt = %v, want %v", he.RetryAt, want)
				}
			}},
		{name: "page over its limit", opts: emulator.GraphOptions{PageCallLimit: 2, Window: time.Hour},
			prep: func(f *fixture) {
				for i := range 2 {
					if _, err := f.Client.Publish(context.Background(), msg(fmt.Sprint("story ", i), "")); err != nil {
						panic(err)
					}
				}
				f.Clock.Advance(15 * time.Minute)
			}, kind: herald.ErrRateLimited, code: 80001,
			check: func(t *testing.T, f *fixture, he *herald.Error) {
				if want := f.Clock.Now().Add(45 * time.Minute); !he.RetryAt.Equal(want) {
					t.Errorf("RetryAt = %v, want %v (end of the window)", he.RetryAt, want)
				}
			}},
		{name: "503 with an HTML body", prep: func(f *fixture) { emulatortest.Faults(f.Emu).Next(emulator.FaultServerError) },
			kind: herald.ErrRetryable, check: wantStatus(503)},
		{name: "503 with an empty body", prep: func(f *fixture) {
			emulatortest.Faults(f.Emu).Next(emulator.FaultServerError, emulator.FaultServerError)
			_, _ = f.Client.Publish(context.Background(), msg("html first", ""))
		}, kind: herald.ErrRetryable, check: wantStatus(503)},
		{name: "Graph code 2", opts: emulator.GraphOptions{ServerErrorCode: 2},
			prep: func(f *fixture) { emulatortest.Faults(f.Emu).Next(emulator.FaultServerError) }, kind: herald.ErrRetryable, code: 2,
			check: wantStatus(500)},
		{name: "accept then drop", prep: func(f *fixture) { emulatortest.Faults(f.Emu).Next(emulator.FaultDrop) }, kind: herald.ErrUnknownOutcome},
		{name: "link not scrapable", opts: emulator.GraphOptions{Unscrapable: func(string) bool { return true }},
			kind: herald.ErrRetryable, code: 1609005},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t, c.opts, nil)
			if c.prep != nil {
				c.prep(f)
			}
			_, err := f.Client.Publish(context.Background(), msg("Same", "https://news.example/same"))
			he := asError(t, err)
			if he.Kind != c.kind || he.Code != c.code || he.Op != "create post" {
				t.Fatalf("got %s code %d op %q (%v), want %s code %d", he.Kind, he.Code, he.Op, err, c.kind, c.code)
			}
			if c.check != nil {
				c.check(t, f, he)
			}
		})
	}
}

func wantStatus(status int) func(*testing.T, *fixture, *herald.Error) {
	return func(t *testing.T, f *fixture, he *herald.Error) {
		if he.Status != status || len(f.Emu.Posts()) != 0 {
			t.Errorf("status %d (want %d), %d posts recorded", he.Status, status, len(f.Emu.Posts()))
		}
	}
}

func TestPublishTimeoutIsUnknownOutcome(t *testing.T) {
	f := setup(t, emulator.GraphOptions{}, func(c *facebook.Config) { c.HTTPTimeout = 150 * time.Millisecond })
	emulatortest.Faults(f.Emu).Set(0, 0, 0, 5*time.Second, 1)
	_, err := f.Client.Publish(context.Background(), msg("slow", ""))
	if he := asError(t, err); he.Kind != herald.ErrUnknownOutcome {
		t.Errorf("timeout: %s (%v), want unknown outcome", he.Kind, err)
	}
}

func TestPublishUnreachableIsRetryable(t *testing.T) {
	f := setup(t, emulator.GraphOptions{}, nil)
	down := setup(t, emulator.GraphOptions{}, func(c *facebook.Config) { c.GraphBaseURL = "http://127.0.0.1:1" })
	_, err := down.Client.Publish(context.Background(), msg("nobody home", ""))
	if he := asError(t, err); he.Kind != herald.ErrRetryable {
		t.Errorf("connection refused: %s (%v), want retryable", he.Kind, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = f.Client.Publish(ctx, msg("cancelled", ""))
	if he := asError(t, err); he.Kind != herald.ErrRetryable || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before sending: %s (%v), want retryable wrapping context.Canceled", he.Kind, err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []facebook.Config{
		{PageAccessToken: "t"},
		{PageID: "1"},
		{PageID: "1", PageAccessToken: "t", GraphBaseURL: "graph.facebook.com"},
		{PageID: "1", PageAccessToken: "t", GraphVersion: "25"},
	} {
		if _, err := facebook.New(cfg, nil); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		} else if strings.Contains(err.Error(), "t\"") {
			t.Errorf("error shows the token: %v", err)
		}
	}
}

package facebook_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/facebook"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit/nettest"
)

func TestFindPostAfterDrop(t *testing.T) {
	f := setup(t, emulator.GraphOptions{}, nil)
	ctx := context.Background()
	link := "https://news.example/2026/04/01/storm?utm_source=facebook&utm_medium=social"
	started := f.Clock.Now()
	for i := range 3 {
		f.Clock.Advance(time.Minute)
		nettest.Publish(ctx, t, f.Client, msg(fmt.Sprint("Older story ", i), fmt.Sprint("https://news.example/older/", i)))
	}
	f.Clock.Advance(time.Minute)
	attempt := f.Clock.Now()
	emulatortest.Faults(f.Emu).Next(emulator.FaultDrop)
	_, err := f.Client.Publish(ctx, msg("Storm hits the coast", link))
	if he := asError(t, err); he.Kind != herald.ErrUnknownOutcome {
		t.Fatalf("drop: %v", err)
	}
	f.Clock.Advance(time.Minute)
	nettest.Publish(ctx, t, f.Client, msg("A later story", "https://news.example/later"))

	r, found, reads, err := f.Client.FindPost(ctx, link, attempt)
	if err != nil || !found {
		t.Fatalf("FindPost: found %v, err %v", found, err)
	}
	dropped := f.Emu.PostsByPage(pageID)[3]
	if r.RemoteID != dropped.ID || r.Permalink != facebook.Permalink(dropped.ID) || !r.At.Equal(dropped.Created) {
		t.Errorf("receipt %+v, want post %+v", r, dropped)
	}
	if reads < 2 {
		t.Errorf("reads = %d, want the posts looked at (at least 2)", reads)
	}

	_, found, reads, err = f.Client.FindPost(ctx, "https://news.example/never-posted", started)
	if err != nil || found || reads != 5 {
		t.Errorf("missing link: found %v, reads %d (want 5), err %v", found, reads, err)
	}
	_, found, _, err = f.Client.FindPost(ctx, strings.Replace(link, "https://news.example", "HTTPS://NEWS.EXAMPLE", 1), attempt)
	if err != nil || !found {
		t.Errorf("scheme and host case: found %v, err %v", found, err)
	}
}

func TestFindPostPages(t *testing.T) {
	f := setup(t, emulator.GraphOptions{}, nil)
	ctx := context.Background()
	since := f.Clock.Now()
	for i := range 40 {
		f.Clock.Advance(time.Second)
		nettest.Publish(ctx, t, f.Client, msg(fmt.Sprint("Story ", i), fmt.Sprint("https://news.example/", i)))
	}
	r, found, reads, err := f.Client.FindPost(ctx, "https://news.example/2", since)
	if err != nil || !found || reads != 40 {
		t.Fatalf("oldest on the second page: found %v, reads %d (want 40: both pages), err %v", found, reads, err)
	}
	if want := f.Emu.PostsByPage(pageID)[2].ID; r.RemoteID != want {
		t.Errorf("remote id %s, want %s", r.RemoteID, want)
	}
}

func TestEngagement(t *testing.T) {
	f := setup(t, emulator.GraphOptions{}, nil)
	ctx := context.Background()
	var ids []string
	for i := range 60 {
		r := nettest.Publish(ctx, t, f.Client, msg(fmt.Sprint("Story ", i), ""))
		ids = append(ids, r.RemoteID)
	}
	if err := f.Emu.SetEngagement(ids[0], emulator.GraphEngagement{Shares: 7, Reactions: 12, Comments: 3}); err != nil {
		t.Fatal(err)
	}
	if err := f.Emu.SetEngagement(ids[55], emulator.GraphEngagement{Reactions: 4, Comments: 1}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{ids[10], ids[52]} {
		if err := f.Client.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	before := len(f.Emu.Requests())
	counts, gone, err := f.Client.Engagement(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(gone)
	if want := []string{ids[10], ids[52]}; !slices.Equal(gone, want) {
		t.Errorf("gone = %v, want %v", gone, want)
	}
	if len(counts) != 58 {
		t.Errorf("%d posts counted, want 58", len(counts))
	}
	if got := counts[ids[0]]; got != (herald.Engagement{Shares: 7, Reactions: 12, Comments: 3}) {
		t.Errorf("engaged post = %+v", got)
	}
	if got := counts[ids[55]]; got != (herald.Engagement{Reactions: 4, Comments: 1}) {
		t.Errorf("post without shares = %+v", got)
	}
	var batches []int
	for _, r := range f.Emu.Requests()[before:] {
		if r.Path == "/" {
			batches = append(batches, r.Status)
		}
	}
	// Two batches of 50 and 10, each asked again once without its deleted id.
	if !slices.Equal(batches, []int{400, 200, 400, 200}) {
		t.Errorf("?ids= requests answered %v", batches)
	}
}

func TestDelete(t *testing.T) {
	f := setup(t, emulator.GraphOptions{}, nil)
	ctx := context.Background()
	r := nettest.Publish(ctx, t, f.Client, msg("Correction needed", "https://news.example/x"))
	if err := f.Client.Delete(ctx, r.RemoteID); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.Emu.Post(r.RemoteID); !p.Deleted {
		t.Errorf("post not deleted: %+v", p)
	}
	if err := f.Client.Delete(ctx, r.RemoteID); err != nil {
		t.Errorf("deleting a deleted post: %v", err)
	}
	emulatortest.ExpirePage(f.Emu, pageID)
	if he := asError(t, f.Client.Delete(ctx, r.RemoteID)); he.Kind != herald.ErrAuth || he.Op != "delete post" {
		t.Errorf("delete with an expired token: %+v", he)
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	t.Run("expiring soon", func(t *testing.T) {
		f := setup(t, emulator.GraphOptions{}, nil)
		expires := f.Clock.Now().Add(3 * 24 * time.Hour)
		f.Emu.AddPage(emulator.GraphPage{ID: pageID, Name: "The Daily", AccessToken: pageToken, AppID: appID, AppSecret: appSecret, ExpiresAt: expires})
		id, err := f.Client.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if id.ID != pageID || id.Name != "The Daily" || !id.Expires.Equal(expires) {
			t.Errorf("identity = %+v", id)
		}
		if len(id.Warnings) != 1 || !strings.Contains(id.Warnings[0], "expires") {
			t.Errorf("warnings = %q", id.Warnings)
		}
		for _, r := range f.Emu.Requests() {
			if r.TokenVia != "header" {
				t.Errorf("%s sent its token in the %s", r.Path, r.TokenVia)
			}
		}
	})
	t.Run("expiring later", func(t *testing.T) {
		f := setup(t, emulator.GraphOptions{}, nil)
		f.Emu.AddPage(emulator.GraphPage{ID: pageID, Name: "The Daily", AccessToken: pageToken, AppID: appID,
			AppSecret: appSecret, ExpiresAt: f.Clock.Now().Add(30 * 24 * time.Hour), Scopes: []string{"pages_read_engagement", "pages_manage_posts"}})
		id, err := f.Client.Check(ctx)
		if err != nil || len(id.Warnings) != 0 || id.Expires.IsZero() {
			t.Errorf("identity %+v, err %v", id, err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		f := setup(t, emulator.GraphOptions{}, nil)
		emulatortest.ExpirePage(f.Emu, pageID)
		_, err := f.Client.Check(ctx)
		if he := asError(t, err); he.Kind != herald.ErrAuth || he.Code != 190 {
			t.Errorf("expired: %+v", he)
		}
	})
	t.Run("without the app", func(t *testing.T) {
		f := setup(t, emulator.GraphOptions{}, func(c *facebook.Config) { c.AppID, c.AppSecret = "", "" })
		id, err := f.Client.Check(ctx)
		if err != nil || id.ID != pageID || !id.Expires.IsZero() {
			t.Errorf("identity %+v, err %v", id, err)
		}
		for _, r := range f.Emu.Requests() {
			if r.Path == "/debug_token" || r.ProofSent {
				t.Errorf("request %+v without an app secret", r)
			}
		}
	})
	t.Run("another page's token", func(t *testing.T) {
		f := setup(t, emulator.GraphOptions{}, func(c *facebook.Config) { c.PageID = "999" })
		id, err := f.Client.Check(ctx)
		if err != nil || len(id.Warnings) != 1 || !strings.Contains(id.Warnings[0], "not page_id 999") {
			t.Errorf("identity %+v, err %v", id, err)
		}
	})
}

package twitter

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit/nettest"
)

// skewedClock lets the emulation make a post "ten minutes ago".
type skewedClock struct{ offset atomic.Int64 }

func (c *skewedClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func TestFindPostAfterDroppedAnswer(t *testing.T) {
	for _, api := range []string{"v2", "v1.1"} {
		t.Run(api, func(t *testing.T) {
			ctx := context.Background()
			clock := &skewedClock{}
			x, base := emulation(t, emulator.XOptions{Now: clock.Now})
			c := client(t, base, alice, Config{API: api}, nil)

			// An old post with the same link, made before the attempt: not ours.
			clock.offset.Store(int64(-10 * time.Minute))
			link := "https://example.com/story?utm_source=x"
			nettest.Publish(ctx, t, c, herald.Message{Text: "Earlier version " + link})
			clock.offset.Store(0)

			since := time.Now()
			emulatortest.Faults(x).Next(emulator.FaultDrop)
			_, err := c.Publish(ctx, herald.Message{Text: "Breaking " + link, Link: link})
			kindOf(t, err, herald.ErrUnknownOutcome)
			posts := x.PostsByUser(alice.ID)
			made := posts[len(posts)-1]
			// Newer posts push it to the second page.
			for i := range 7 {
				nettest.Publish(ctx, t, c, herald.Message{Text: "Other " + strconv.Itoa(i) + " https://example.com/o/" + strconv.Itoa(i)})
			}

			r, found, reads, err := c.FindPost(ctx, link, since)
			if err != nil || !found {
				t.Fatalf("FindPost = %v, %v", found, err)
			}
			if r.RemoteID != made.ID || r.Permalink != "https://x.com/alice_news/status/"+made.ID || r.At.IsZero() {
				t.Errorf("receipt %+v, want post %s", r, made.ID)
			}
			// 5 on the first page, 3 on the second; v1.1's timeline has no
			// start_time, so the older post comes along and is billed too.
			wantReads := 8
			if api == "v1.1" {
				wantReads = 9
			}
			if reads != wantReads {
				t.Errorf("reads %d, want %d", reads, wantReads)
			}

			// Not there: every post since the attempt is read, none before.
			_, found, reads, err = c.FindPost(ctx, "https://example.com/never", since)
			if err != nil || found || reads != wantReads {
				t.Errorf("absent link: found %v reads %d err %v", found, reads, err)
			}
		})
	}
}

func TestFindPostRequestShape(t *testing.T) {
	ctx := context.Background()
	x, base := emulation(t, emulator.XOptions{})
	c := client(t, base, alice, Config{UserID: alice.ID}, nil)
	if _, _, _, err := c.FindPost(ctx, "https://example.com/x", time.Now()); err != nil {
		t.Fatal(err)
	}
	// With the user id configured, no identity lookup is needed.
	if n := x.Count("GET /2/users/me"); n != 0 {
		t.Errorf("users/me called %d times", n)
	}
	if n := x.Count("GET /2/users/{id}/tweets"); n != 1 {
		t.Errorf("timeline read %d times, want 1 (no next_token on an empty page)", n)
	}
}

func TestEngagementAndDelete(t *testing.T) {
	bothAPIs(t, func(t *testing.T, api string, x *emulator.X, c *Client) {
		ctx := context.Background()
		var ids []string
		for i := range 3 {
			r := nettest.Publish(ctx, t, c, herald.Message{Text: "Story " + strconv.Itoa(i)})
			ids = append(ids, r.RemoteID)
		}
		x.SetMetrics(ids[0], emulator.XMetrics{Retweets: 5, Quotes: 2, Likes: 30, Replies: 4, Impressions: 900, Bookmarks: 1})
		if err := c.Delete(ctx, ids[1]); err != nil {
			t.Fatal(err)
		}
		if p, _ := x.Post(ids[1]); !p.Deleted {
			t.Fatal("delete did not reach the emulation")
		}
		if err := c.Delete(ctx, ids[1]); err != nil {
			t.Errorf("deleting again: %v", err)
		}

		// 150 ids: two batches; 147 of them never existed.
		ask := append([]string{}, ids...)
		for i := range 147 {
			ask = append(ask, strconv.Itoa(1000+i))
		}
		counts, gone, err := c.Engagement(ctx, ask)
		if err != nil {
			t.Fatal(err)
		}
		want := herald.Engagement{Retweets: 5, Quotes: 2, Likes: 30, Replies: 4}
		if api == "v2" {
			want.Impressions, want.Bookmarks = 900, 1
		}
		if counts[ids[0]] != want {
			t.Errorf("counts %+v, want %+v", counts[ids[0]], want)
		}
		if _, ok := counts[ids[2]]; !ok || len(counts) != 2 {
			t.Errorf("counts for %d posts, want 2", len(counts))
		}
		if len(gone) != 148 || !contains(gone, ids[1]) || contains(gone, ids[0]) {
			t.Errorf("gone %d (deleted one in: %v)", len(gone), contains(gone, ids[1]))
		}
		route := "GET /2/tweets"
		if api == "v1.1" {
			route = "GET /1.1/statuses/lookup.json"
		}
		if n := x.Count(route); n != 2 {
			t.Errorf("%s called %d times, want 2", route, n)
		}
	})
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestFieldsParamFollowsX: X's OpenAPI v2.167 names the Post fields
// parameter post.fields. Against an X that declares only that name, the
// client's first read is refused for tweet.fields and repeated with
// post.fields, which it then keeps; the reads still find the post and its
// metrics.
func TestFieldsParamFollowsX(t *testing.T) {
	for _, name := range []string{"post.fields", "tweet.fields"} {
		x, base := emulation(t, emulator.XOptions{FieldsParam: name})
		c := client(t, base, alice, Config{}, nil)
		ctx := context.Background()
		since := time.Now().Add(-time.Minute)
		link := "https://news.example.com/fields"
		r := nettest.Publish(ctx, t, c, herald.Message{Text: "Fields " + link, Link: link})
		if _, found, _, err := c.FindPost(ctx, link, since); err != nil || !found {
			t.Fatalf("%s: find post: %v %v", name, found, err)
		}
		if _, gone, err := c.Engagement(ctx, []string{r.RemoteID}); err != nil || len(gone) != 0 {
			t.Fatalf("%s: engagement: %v %v", name, gone, err)
		}
		refused := 0
		for _, rq := range x.Requests() {
			if rq.Status == 400 {
				refused++
			}
		}
		if want := map[string]int{"post.fields": 1, "tweet.fields": 0}[name]; refused != want {
			t.Errorf("%s: %d refused reads, want %d", name, refused, want)
		}
	}
}

package twitter

import (
	"context"
	"testing"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
)

// TestReplyThread posts a thread of three, each post answering the one
// before, through both APIs; a reply to a deleted post is refused on v2,
// as retryable (X says the same of a post made a moment ago), not as a
// credentials matter that would pause the account.
func TestReplyThread(t *testing.T) {
	for _, api := range []string{"v2", "v1.1"} {
		t.Run(api, func(t *testing.T) {
			ctx := context.Background()
			x, base := emulation(t, emulator.XOptions{})
			c := client(t, base, alice, Config{API: api}, nil)
			prev := ""
			for _, text := range []string{"Most shared today 1/3", "2/3 https://example.com/a", "3/3 https://example.com/b"} {
				r, err := c.Publish(ctx, herald.Message{Text: text, ReplyTo: prev})
				if err != nil {
					t.Fatal(err)
				}
				prev = r.RemoteID
			}
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
}

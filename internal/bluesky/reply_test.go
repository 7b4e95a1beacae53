package bluesky_test

import (
	"context"
	"testing"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
)

// TestReplyThread posts a thread of three: each reply's parent is the post
// before and its root the first, with their CIDs (the emulation checks
// them); a reply to a post that is gone is refused for good.
func TestReplyThread(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	ctx := context.Background()
	prev := ""
	for _, text := range []string{"Most shared today 1/3", "2/3 https://example.com/a", "3/3 https://example.com/b"} {
		r, err := f.client.Publish(ctx, herald.Message{Text: text, ReplyTo: prev})
		if err != nil {
			t.Fatal(err)
		}
		prev = r.RemoteID
	}
	posts := f.sky.Posts()
	if len(posts) != 3 || posts[0].ReplyParent != "" ||
		posts[1].ReplyParent != posts[0].URI || posts[1].ReplyRoot != posts[0].URI ||
		posts[2].ReplyParent != posts[1].URI || posts[2].ReplyRoot != posts[0].URI {
		t.Fatalf("thread = %+v", posts)
	}
	if err := f.client.Delete(ctx, posts[2].URI); err != nil {
		t.Fatal(err)
	}
	_, err := f.client.Publish(ctx, herald.Message{Text: "late reply", ReplyTo: posts[2].URI})
	if he := f.asError(t, err); he.Kind != herald.ErrPermanent {
		t.Errorf("reply to a deleted post: kind %v", he.Kind)
	}
}

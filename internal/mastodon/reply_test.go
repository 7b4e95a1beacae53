package mastodon_test

import (
	"context"
	"testing"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
)

// TestReplyThread posts a thread of three, each status answering the one
// before; a reply to a status that is not there is refused for good.
func TestReplyThread(t *testing.T) {
	f := setup(t, emulator.MastodonOptions{}, nil)
	ctx := context.Background()
	prev := ""
	for i, text := range []string{"Most shared today 1/3", "2/3 https://example.com/a", "3/3 https://example.com/b"} {
		m := msg(text, "digest-"+string(rune('a'+i)))
		m.ReplyTo = prev
		r, err := f.client.Publish(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		prev = r.RemoteID
	}
	posts := f.masto.Posts()
	if len(posts) != 3 || posts[0].InReplyToID != "" || posts[1].InReplyToID != posts[0].ID ||
		posts[2].InReplyToID != posts[1].ID {
		t.Fatalf("thread = %+v", posts)
	}
	m := msg("late reply", "digest-z")
	m.ReplyTo = "1"
	_, err := f.client.Publish(ctx, m)
	if he := asError(t, err); he.Kind != herald.ErrPermanent {
		t.Errorf("reply to a missing status: kind %v", he.Kind)
	}
}

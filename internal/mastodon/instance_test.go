package mastodon_test

import (
	"context"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
)

// TestInstanceLimits: the limits are the instance's, read from
// GET /api/v2/instance on account check (and before the first post), and a
// composer fed by the client fits posts to them, not to 500 and 23.
func TestInstanceLimits(t *testing.T) {
	f := setup(t, emulator.MastodonOptions{MaxChars: 1000, URLLength: 30}, nil)
	if n, u := f.Client.TextLimits(); n != 0 || u != 0 {
		t.Fatalf("limits before any call = %d, %d", n, u)
	}
	if _, err := f.Client.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, u := f.Client.TextLimits(); n != 1000 || u != 30 {
		t.Fatalf("limits = %d, %d; want the instance's 1000 and 30", n, u)
	}
	c, err := compose.New(compose.Options{Network: herald.Mastodon})
	if err != nil {
		t.Fatal(err)
	}
	c.UseServerLimits(f.Client)
	if c.Limit() != 1000 || c.Length("see https://news.com/a") != 4+30 {
		t.Errorf("composer limit %d, length %d", c.Limit(), c.Length("see https://news.com/a"))
	}
	text := strings.Repeat("word ", 160) + "https://news.example/long"
	m, err := c.Compose(herald.Article{URL: "https://news.example/long", Title: "t"}, compose.ComposeJob{Text: text})
	if err != nil {
		t.Fatalf("an 830-character text on a 1000-character instance: %v", err)
	}
	if _, err := f.Client.Publish(context.Background(), herald.Message{Text: m.Text, IdempotencyKey: "k1"}); err != nil {
		t.Fatal(err)
	}
}

// TestInstanceLimitsReadBeforeFirstPost: without an account check, the
// first post reads the instance's limits.
func TestInstanceLimitsReadBeforeFirstPost(t *testing.T) {
	f := setup(t, emulator.MastodonOptions{MaxChars: 300}, nil)
	if _, err := f.Client.Publish(context.Background(), msg("hello", "k")); err != nil {
		t.Fatal(err)
	}
	if n, u := f.Client.TextLimits(); n != 300 || u != 23 {
		t.Errorf("limits = %d, %d; want 300 and 23", n, u)
	}
}

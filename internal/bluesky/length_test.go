package bluesky_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/heraldhq/herald/internal/compose"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
)

// Grapheme clusters that are one character to Bluesky but many code points
// (and many more UTF-16 units and bytes).
const (
	family    = "👩‍👩‍👧‍👦"       // a ZWJ sequence: 7 code points, 25 bytes
	flag      = "🇲🇽"            // a regional-indicator pair
	skinTone  = "👍🏽"            // an emoji with a modifier
	combining = "e\u0301\u0323" // e with two combining marks
	keycap    = "1\ufe0f\u20e3" // a keycap sequence
	trio      = "👩‍👩‍👧"         // a shorter ZWJ sequence
)

// TestGraphemeLimit: 300 clusters pass and 301 fail, however many bytes or
// code points they are (the byte limit, 3000, is not reached here).
func TestGraphemeLimit(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	ctx := context.Background()
	for _, unit := range []string{"a", "é", combining, trio, family, flag, skinTone, keycap} {
		if n := uniseg.GraphemeClusterCount(unit); n != 1 {
			t.Fatalf("%q is %d clusters", unit, n)
		}
		n := 300
		if utf8.RuneCountInString(unit) > 1 && len(unit)*300 > 3000 {
			n = 3000 / len(unit) // stay under the byte limit: still far more code points than clusters
		}
		ok := strings.Repeat(unit, n)
		if _, err := f.Client.Publish(ctx, herald.Message{Text: ok}); err != nil {
			t.Errorf("%d × %q (%d code points): %v", n, unit, utf8.RuneCountInString(ok), err)
		}
	}
	// Exactly at the limit with mixed clusters, then one more.
	mixed := strings.Repeat(family+flag+combining+skinTone+"a", 60) // 300 clusters, 2,580 bytes
	if c := uniseg.GraphemeClusterCount(mixed); c != 300 || len(mixed) > 3000 {
		t.Fatalf("mixed text is %d clusters, %d bytes", c, len(mixed))
	}
	if _, err := f.Client.Publish(ctx, herald.Message{Text: mixed}); err != nil {
		t.Errorf("300 mixed clusters: %v", err)
	}
	_, err := f.Client.Publish(ctx, herald.Message{Text: mixed + combining})
	if he := f.asError(t, err); he.Kind != herald.ErrPermanent || !strings.Contains(he.Message, "300 graphemes") {
		t.Errorf("301 clusters: %+v", he)
	}
}

// TestComposerFitsBluesky: the composer's Bluesky limit counts as the PDS
// does, so a title full of emoji sequences and combining marks is shortened
// to a post the PDS accepts, with the link and its facet whole.
func TestComposerFitsBluesky(t *testing.T) {
	f := setup(t, emulator.BlueskyOptions{})
	c, err := compose.New(compose.Options{Network: herald.Bluesky})
	if err != nil {
		t.Fatal(err)
	}
	link := "https://news.example/2026/04/01/familias"
	a := herald.Article{URL: link, Title: strings.Repeat(family+" Familias "+combining+flag+" ", 40)}
	m, err := c.Compose(a, compose.ComposeJob{})
	if err != nil {
		t.Fatal(err)
	}
	n := uniseg.GraphemeClusterCount(m.Text)
	if n > 300 || n < 290 || !strings.HasSuffix(m.Text, link) || !strings.Contains(m.Text, "…") {
		t.Fatalf("composed %d clusters: %q", n, m.Text)
	}
	if _, err := f.Client.Publish(context.Background(), m); err != nil {
		t.Fatalf("composed post refused: %v", err)
	}
	p := f.Emu.Posts()[0]
	if len(p.Facets) != 1 || p.Facets[0].Text != link || p.Embed == nil || p.Embed.URI != link {
		t.Errorf("facets %+v card %+v", p.Facets, p.Embed)
	}
}

package cli

import (
	"strings"
	"testing"
	"time"
)

func TestShiftFeedDates(t *testing.T) {
	start := time.Date(2030, 5, 1, 12, 0, 30, 0, time.UTC)
	rss := `<rss><channel><lastBuildDate>Sat, 28 Nov 2026 22:15:00 -0600</lastBuildDate>
<item><pubDate>Sat, 28 Nov 2026 21:40:00 -0600</pubDate></item>
<item><pubDate>Sat, 28 Nov 2026 17:05:00 -0600</pubDate></item>
<item><pubDate>not a date</pubDate></item></channel></rss>`
	got := string(shiftFeedDates([]byte(rss), start))
	for _, want := range []string{
		"<lastBuildDate>Wed, 01 May 2030 05:58:00 -0600</lastBuildDate>", // the newest: 2 minutes before start
		"<pubDate>Wed, 01 May 2030 05:23:00 -0600</pubDate>",             // 35 minutes before it
		"<pubDate>Wed, 01 May 2030 00:48:00 -0600</pubDate>",
		"<pubDate>not a date</pubDate>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
	atom := `<feed><updated>2026-11-28T10:00:00Z</updated><entry><published>2026-11-27T10:00:00Z</published></entry></feed>`
	if got := string(shiftFeedDates([]byte(atom), start)); !strings.Contains(got, "<updated>2030-05-01T11:58:00Z</updated>") ||
		!strings.Contains(got, "<published>2030-04-30T11:58:00Z</published>") {
		t.Errorf("atom: %s", got)
	}
	js := `{"items":[{"date_published": "2026-11-28T10:00:00+01:00"}]}`
	if got := string(shiftFeedDates([]byte(js), start)); !strings.Contains(got, `"date_published": "2030-05-01T12:58:00+01:00"`) {
		t.Errorf("json: %s", got)
	}
}

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// networkStories are the stories published during the test: accents and
// an ampersand, an emoji and CJK (multi-byte runes before the link, so a
// facet counted in runes or UTF-16 units would be off), an image for the
// card's thumb, and a ZWJ emoji sequence.
func networkStories() []cardStory {
	titles := []string{
		"Peña Nieto & Videgaray meet over the trade accord",
		"Café owners cheer 🎉 as the 東京 line reopens — «finally»",
		"Council approves $42 million for bridge repairs",
		"👩‍👩‍👧 Families flock to the new Ribeirão park",
		"Rapids clinch a playoff spot with a 3–1 win",
	}
	out := make([]cardStory, len(titles))
	for i, title := range titles {
		out[i] = cardStory{
			story: story{Title: title, GUID: fmt.Sprintf("news-%02d", i), Published: time.Now(),
				// Tracking parameters are dropped from what is posted.
				Link: fmt.Sprintf("https://news.example/news/2026/story-%02d?utm_source=rss&utm_medium=feed", i)},
			Description: fmt.Sprintf("What happened in story %d, and why it matters — résumé.", i),
			Image:       i == 2,
		}
	}
	return out
}

// networkFigures is the engagement set on each network, per story: every
// network ranks the stories in a different order, so a report that mixed
// networks up would show it. On Bluesky, reposts alone would rank
// differently from reposts + quotes.
var (
	mastoFigures = []emulator.MastodonEngagement{
		{Reblogs: 3, Favourites: 11, Replies: 1}, {Reblogs: 17, Favourites: 2, Replies: 6},
		{Reblogs: 8, Favourites: 30, Replies: 0}, {Reblogs: 40, Favourites: 5, Replies: 9},
		{Reblogs: 25, Favourites: 7, Replies: 4},
	}
	skyFigures = []emulator.BlueskyEngagement{
		{Reposts: 5, Quotes: 30, Likes: 60, Replies: 2}, {Reposts: 20, Quotes: 0, Likes: 13, Replies: 8},
		{Reposts: 12, Quotes: 12, Likes: 4, Replies: 1}, {Reposts: 1, Quotes: 1, Likes: 90, Replies: 0},
		{Reposts: 9, Quotes: 0, Likes: 21, Replies: 5},
	}
	xFigures = []emulator.XMetrics{
		{Retweets: 100, Quotes: 1, Likes: 500, Replies: 10}, {Retweets: 200, Quotes: 2, Likes: 400, Replies: 20},
		{Retweets: 300, Quotes: 3, Likes: 300, Replies: 30}, {Retweets: 400, Quotes: 4, Likes: 200, Replies: 40},
		{Retweets: 500, Quotes: 5, Likes: 100, Replies: 50},
	}
	fbFigures = []emulator.GraphEngagement{
		{Shares: 70, Reactions: 1, Comments: 3}, {Shares: 60, Reactions: 2, Comments: 3},
		{Shares: 50, Reactions: 3, Comments: 3}, {Shares: 40, Reactions: 4, Comments: 3},
		{Shares: 30, Reactions: 5, Comments: 3},
	}
)

// TestRunPostsToFourNetworks is the acceptance test of Mastodon and
// Bluesky end to end, in-process: `herald run` with one feed targeting an X
// account, a Facebook Page, a Mastodon account and a Bluesky account, each
// emulated on loopback. Every new story is posted once on each, as each
// network wants it (Bluesky with a link facet in UTF-8 bytes and a link
// card with its thumb); then engagement set at the emulations is read by
// `herald collect` and ranked by `herald report --network mastodon|bluesky`.
func TestRunPostsToFourNetworks(t *testing.T) {
	t.Parallel()
	feed := startCardFeed(t)
	n := startFourNetworks(t)
	for i := range 3 {
		feed.add(cardStory{story: story{Title: fmt.Sprintf("Old news story %d", i), GUID: fmt.Sprintf("news-old-%d", i),
			Link: fmt.Sprintf("https://news.example/news/old-%d", i), Published: time.Now().Add(-time.Duration(i+1) * time.Hour)},
			Description: "An old story.", Image: i == 0})
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	cfg := writeNetworksConfig(t, dir, db, feed, n)

	r := runInProcess(t, cfg)
	logs, running := r.logs, func() bool { return r.running(t) }
	testkit.WaitFor(t, "the backlog recorded", 10*time.Second, func() bool { return running() && seeded(t, db, "news") })

	stories := networkStories()
	start := time.Now()
	for _, s := range stories {
		feed.add(s)
		time.Sleep(60 * time.Millisecond)
	}
	deadline := time.Now().Add(20 * time.Second)
	for running() && !n.allPosted(len(stories)) {
		// A job that failed or was skipped will never post: stop waiting.
		if jobs := jobStates(t, db); time.Now().After(deadline) || jobs[herald.JobFailed]+jobs[herald.JobSkipped] > 0 {
			t.Fatalf("%s posts, want %d each; jobs by state %v\n%s", n.postCounts(), len(stories), jobs, logs.tail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d stories, published 60 ms apart, on 4 networks %s after the first", len(stories), time.Since(start).Round(time.Millisecond))
	// A few more polls of the unchanged feed must post nothing more.
	time.Sleep(500 * time.Millisecond)
	if err := r.stopCleanly(); err != nil {
		t.Fatal(err)
	}

	if got := jobStates(t, db); got[herald.JobSent] != 4*len(stories) || len(got) != 1 {
		t.Errorf("jobs by state %v, want %d sent and nothing else", got, 4*len(stories))
	}
	checkXAndFacebook(t, n, stories)
	checkMastodon(t, n, stories)
	checkBluesky(t, n, feed, stories)
	if t.Failed() {
		t.FailNow() // the engagement below is keyed by the posts checked above
	}

	setFigures(t, n, stories)
	runCollect(t, cfg, n, 4*len(stories))
	checkReports(t, cfg, stories)
}

// checkXAndFacebook: X got "title link", the Page the title with the link
// apart; each story once, the backlog never.
func checkXAndFacebook(t *testing.T, n *fourNetworks, stories []cardStory) {
	t.Helper()
	xTexts := map[string]int{}
	for _, p := range n.x.PostsByUser(n.xUser.ID) {
		xTexts[p.Text]++
	}
	fbByLink := map[string][]emulator.GraphPost{}
	for _, p := range n.graph.PostsByPage(n.page.ID) {
		fbByLink[p.Link] = append(fbByLink[p.Link], p)
	}
	for _, s := range stories {
		link := canonical(s.Link)
		if want := s.Title + " " + link; xTexts[want] != 1 {
			t.Errorf("x_main: %q posted %d times, want once", want, xTexts[want])
		}
		if got := fbByLink[link]; len(got) != 1 || got[0].Message != s.Title {
			t.Errorf("fb_page: %s: posts %+v, want one with message %q", link, got, s.Title)
		}
	}
	if len(n.x.Posts()) != len(stories) || len(n.graph.Posts()) != len(stories) {
		t.Errorf("posts: %s, want %d each", n.postCounts(), len(stories))
	}
}

// checkMastodon: each story once, "title link" (its link card), public,
// under an Idempotency-Key of its own; every post request carried one.
func checkMastodon(t *testing.T, n *fourNetworks, stories []cardStory) {
	t.Helper()
	byText := map[string][]emulator.MastodonStatus{}
	keys := map[string]bool{}
	for _, s := range n.masto.Posts() {
		byText[s.Text] = append(byText[s.Text], s)
		if s.IdempotencyKey == "" || keys[s.IdempotencyKey] {
			t.Errorf("masto: status %s has Idempotency-Key %q, want one of its own", s.ID, s.IdempotencyKey)
		}
		keys[s.IdempotencyKey] = true
	}
	for _, s := range stories {
		link := canonical(s.Link)
		want := s.Title + " " + link
		got := byText[want]
		if len(got) != 1 {
			t.Errorf("masto: %q posted %d times, want once", want, len(got))
			continue
		}
		if st := got[0]; st.AccountID != n.mAcct.ID || st.CardURL != link || st.Visibility != "public" || st.Deleted {
			t.Errorf("masto: status %+v: want by %s, public, its card at %s", st, n.mAcct.ID, link)
		}
	}
	if len(n.masto.Posts()) != len(stories) {
		t.Errorf("masto: %d statuses, want %d", len(n.masto.Posts()), len(stories))
	}
	for _, r := range n.masto.Requests() {
		if r.Route == "POST /api/v1/statuses" && r.IdempotencyKey == "" {
			t.Errorf("masto: a POST /api/v1/statuses at %s without an Idempotency-Key", r.At.Format(time.StampMilli))
		}
	}
}

// checkBluesky: each story once, "title link" with one link facet whose
// UTF-8 byte range is exactly the link (after a title of multi-byte
// runes), and an external card with the story's title, description and,
// for the story with an image, the image uploaded as its thumb.
func checkBluesky(t *testing.T, n *fourNetworks, feed *cardFeed, stories []cardStory) {
	t.Helper()
	byLink := map[string][]emulator.BlueskyPost{}
	for _, p := range n.sky.Posts() {
		if p.Embed != nil {
			byLink[p.Embed.URI] = append(byLink[p.Embed.URI], p)
		}
	}
	for _, s := range stories {
		link := canonical(s.Link)
		got := byLink[link]
		if len(got) != 1 {
			t.Errorf("sky: %s has %d posts with its card, want 1", link, len(got))
			continue
		}
		p := got[0]
		if want := s.Title + " " + link; p.Text != want || p.DID != n.sAcct.DID || p.Deleted {
			t.Errorf("sky: post %s by %s: text %q, want %q by %s", p.URI, p.DID, p.Text, want, n.sAcct.DID)
		}
		start := len(s.Title) + 1 // bytes, not runes or UTF-16 units
		if len(p.Facets) != 1 {
			t.Errorf("sky: %q: facets %+v, want one link facet", p.Text, p.Facets)
		} else if f := p.Facets[0]; f.ByteStart != start || f.ByteEnd != start+len(link) || f.URI != link ||
			p.Text[f.ByteStart:f.ByteEnd] != link {
			t.Errorf("sky: %q: facet %+v, want bytes [%d, %d) → %s", p.Text, f, start, start+len(link), link)
		}
		card := p.Embed
		if card.Title != s.Title || card.Description != s.Description {
			t.Errorf("sky: card %q / %q, want %q / %q", card.Title, card.Description, s.Title, s.Description)
		}
		switch {
		case s.Image && card.Thumb == nil:
			t.Errorf("sky: %s: card without the article's image as its thumb", link)
		case s.Image && (card.Thumb.MimeType != "image/png" || card.Thumb.Size != len(feed.image)):
			t.Errorf("sky: %s: thumb %+v, want the %d-byte image/png", link, *card.Thumb, len(feed.image))
		case !s.Image && card.Thumb != nil:
			t.Errorf("sky: %s: thumb %+v on a story without an image", link, *card.Thumb)
		}
	}
	if len(n.sky.Posts()) != len(stories) {
		t.Errorf("sky: %d posts, want %d", len(n.sky.Posts()), len(stories))
	}
	if feed.imageGets.Load() == 0 {
		t.Error("the article's image was never fetched")
	}
}

// setFigures sets every network's engagement of every story's post.
func setFigures(t *testing.T, n *fourNetworks, stories []cardStory) {
	t.Helper()
	index := map[string]int{} // canonical link → story
	for i, s := range stories {
		index[canonical(s.Link)] = i
	}
	find := func(text string) int {
		for link, i := range index {
			if strings.HasSuffix(text, " "+link) {
				return i
			}
		}
		t.Fatalf("no story's link ends %q", text)
		return -1
	}
	for _, p := range n.x.Posts() {
		n.x.SetMetrics(p.ID, xFigures[find(p.Text)])
	}
	for _, p := range n.graph.Posts() {
		if err := n.graph.SetEngagement(p.ID, fbFigures[index[p.Link]]); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range n.masto.Posts() {
		n.masto.SetEngagement(s.ID, mastoFigures[find(s.Text)])
	}
	for _, p := range n.sky.Posts() {
		n.sky.SetEngagement(p.URI, skyFigures[find(p.Text)])
	}
}

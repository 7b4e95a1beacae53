package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

const fediTitle = "Ferry strike ends after talks"

// addFediStory records, in the fixture's SQLite store, a story posted to a
// Mastodon and a Bluesky account, with the engagement their readers record
// (Mastodon: boosts as Shares, favourites as Reactions, replies as
// Comments; Bluesky: reposts and quote posts as Shares, likes as
// Reactions, replies as Comments), and returns its article ID.
func (f *dashFixture) addFediStory() int64 {
	f.t.Helper()
	ctx, now := f.ctx, f.clock.Now()
	must(f.t, f.store.SyncAccounts(ctx, []herald.Account{{ID: "masto", Network: herald.Mastodon},
		{ID: "sky", Network: herald.Bluesky}}))
	src, err := f.store.GetSource(ctx, "mexico")
	must(f.t, err)
	res, err := f.store.SaveArticles(ctx, src.ID, []herald.ArticleInput{{URL: "https://news.example/2026/03/01/ferry",
		Title: fediTitle, PublishedAt: now.Add(-2 * time.Hour), Announce: true, Targets: []string{"masto", "sky"}}},
		now.Add(-2*time.Hour))
	must(f.t, err)
	sent := now.Add(-2 * time.Hour)
	jobs, err := f.store.ClaimJobs(ctx, herald.ClaimOptions{Owner: "seed", Now: sent, Lease: time.Minute,
		Accounts: map[string]time.Duration{"masto": 0, "sky": 0}, PerAccount: 10})
	must(f.t, err)
	if len(jobs) != 2 {
		f.t.Fatalf("claimed %d jobs, want 2", len(jobs))
	}
	var snaps []herald.Snapshot
	for _, j := range jobs {
		must(f.t, f.store.StartAttempt(ctx, j.ID, "seed", sent, time.Minute))
		must(f.t, f.store.FinishJob(ctx, j.ID, "seed", herald.Outcome{State: herald.JobSent, RemoteID: "r" + j.ShortCode,
			SentText: "text", SentAt: sent, Attempted: true}, sent))
		e := herald.Engagement{Shares: 120, Reactions: 300, Comments: 17} // 120 boosts, 300 favourites, 17 replies
		if j.Account == "sky" {
			e = herald.Engagement{Shares: 64, Reactions: 210, Comments: 9} // 60 reposts and 4 quotes, 210 likes, 9 replies
		}
		snaps = append(snaps, herald.Snapshot{JobID: j.ID, At: now.Add(-time.Hour), Engagement: e})
	}
	must(f.t, f.store.SaveSnapshots(ctx, snaps))
	return res[0].Article.ID
}

// /api/popular gives each story's Mastodon and Bluesky figures under the
// networks' names, and ranks one network's stories.
func TestPopularAPIHasEveryNetwork(t *testing.T) {
	f := newDashFixture(t, nil)
	f.addFediStory()
	resp, body := f.get("/api/popular?since=24h&limit=10", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var rows []rank.Row
	must(t, json.Unmarshal([]byte(body), &rows))
	if len(rows) != 4 || rows[0].Title != fediTitle {
		t.Fatalf("ranking: %s", body)
	}
	r := rows[0]
	if r.Mastodon != (rank.MastodonFigures{Boosts: 120, Favourites: 300, Replies: 17}) ||
		r.Bluesky.Reposts+r.Bluesky.Quotes != 64 || r.Bluesky.Likes != 210 || r.Bluesky.Replies != 9 ||
		r.Shares != 184 || r.Reactions != 510 || r.Comments != 26 {
		t.Errorf("top row: %+v", r)
	}
	// The X and Facebook stories carry the objects too, at zero.
	var raw []map[string]json.RawMessage
	must(t, json.Unmarshal([]byte(body), &raw))
	for _, k := range []string{"twitter", "facebook", "mastodon", "bluesky"} {
		if _, ok := raw[len(raw)-1][k]; !ok {
			t.Errorf("field %q missing", k)
		}
	}
	for _, k := range []string{`"boosts"`, `"favourites"`, `"reposts"`, `"quotes"`} {
		if !strings.Contains(body, k) {
			t.Errorf("no %s in %s", k, body)
		}
	}

	for _, network := range []string{"mastodon", "bluesky"} {
		_, body := f.get("/api/popular?network="+network, nil)
		var rows []rank.Row
		must(t, json.Unmarshal([]byte(body), &rows))
		if len(rows) != 1 || rows[0].Title != fediTitle {
			t.Errorf("network=%s: %s", network, body)
			continue
		}
		if network == "mastodon" && (rows[0].Shares != 120 || rows[0].Bluesky != (rank.BlueskyFigures{})) {
			t.Errorf("network=mastodon: %+v", rows[0])
		}
		if network == "bluesky" && (rows[0].Shares != 64 || rows[0].Mastodon != (rank.MastodonFigures{})) {
			t.Errorf("network=bluesky: %+v", rows[0])
		}
	}
}

// The dashboard offers the networks of the accounts and draws a bar for
// Mastodon's and Bluesky's shares.
func TestDashboardShowsEveryNetwork(t *testing.T) {
	f := newDashFixture(t, nil)
	_, body := f.get("/", nil)
	if strings.Contains(body, `href="/?network=mastodon"`) || strings.Contains(body, `href="/?network=bluesky"`) {
		t.Error("networks without an account are offered")
	}
	f.addFediStory()
	_, body = f.get("/", nil)
	if w := missing(body, `href="/?network=twitter">X</a>`, `href="/?network=facebook">Facebook</a>`,
		`href="/?network=mastodon">Mastodon</a>`, `href="/?network=bluesky">Bluesky</a>`,
		`class="net-mastodon"`, `class="net-bluesky"`, `<title>Mastodon: 120</title>`, `<title>Bluesky: 64</title>`); w != "" {
		t.Errorf("missing %q", w)
	}
	_, body = f.get("/?network=bluesky", nil)
	top := section(body, "top-stories")
	if !strings.Contains(top, fediTitle) || strings.Contains(top, topTitle) || strings.Contains(top, "net-mastodon") ||
		!strings.Contains(top, `<title>Bluesky: 64</title>`) {
		t.Errorf("Bluesky's top stories:\n%s", top)
	}
	if !strings.Contains(body, `href="/?network=bluesky" class="on"`) {
		t.Error("the chosen network is not marked")
	}
	resp, body := f.get("/widget/popular?network=bluesky", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Popular on Bluesky") || !strings.Contains(body, fediTitle) {
		t.Errorf("widget: %d\n%s", resp.StatusCode, body)
	}
}

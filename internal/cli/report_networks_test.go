package cli

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/bluesky"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/mastodon"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/rank/ranktest"
)

// Accounts of the four-network newsroom besides ranktest's X and Facebook.
const (
	mastoAccount = "masto"
	skyAccount   = "sky"
)

var (
	mastoUser = emulator.MastodonAccount{ID: "110042", Username: "thedaily", Token: "masto-token-rpt"}
	skyUser   = emulator.BlueskyAccount{DID: "did:plc:thedailyreport", Handle: "thedaily.bsky.example",
		AppPassword: "abcd-efgh-ijkl-mnop"}
)

// fourStory is a story of the four-network newsroom: the accounts it was
// posted to and what each network's emulation reports for its post.
type fourStory struct {
	key     string
	ago     time.Duration // published this long before T0
	targets []string
	x       emulator.XMetrics
	fb      emulator.GraphEngagement
	m       emulator.MastodonEngagement
	b       emulator.BlueskyEngagement
}

// fourStories: p only on Mastodon and Bluesky, q only on X and Facebook, r
// and s everywhere. Every ranking on every network orders them without a
// tie (clicks, all zero, excepted).
var fourStories = []fourStory{
	{key: "p", ago: 4 * time.Hour, targets: []string{mastoAccount, skyAccount},
		m: emulator.MastodonEngagement{Reblogs: 40, Favourites: 12, Replies: 7},
		b: emulator.BlueskyEngagement{Reposts: 9, Quotes: 4, Likes: 88, Replies: 2}},
	{key: "q", ago: 3 * time.Hour, targets: []string{ranktest.XAccount, ranktest.FBAccount},
		x:  emulator.XMetrics{Retweets: 20, Quotes: 1, Likes: 30, Replies: 11, Impressions: 600},
		fb: emulator.GraphEngagement{Shares: 5, Reactions: 71, Comments: 3}},
	{key: "r", ago: 2 * time.Hour, targets: []string{ranktest.XAccount, ranktest.FBAccount, mastoAccount, skyAccount},
		x:  emulator.XMetrics{Retweets: 3, Likes: 8, Replies: 2, Impressions: 90},
		fb: emulator.GraphEngagement{Shares: 14, Reactions: 9, Comments: 25},
		m:  emulator.MastodonEngagement{Reblogs: 6, Favourites: 50, Replies: 1},
		b:  emulator.BlueskyEngagement{Reposts: 30, Quotes: 1, Likes: 5, Replies: 19}},
	{key: "s", ago: time.Hour, targets: []string{ranktest.XAccount, ranktest.FBAccount, mastoAccount, skyAccount},
		x:  emulator.XMetrics{Retweets: 7, Quotes: 2, Likes: 60, Replies: 4, Impressions: 300},
		fb: emulator.GraphEngagement{Shares: 2, Reactions: 1},
		m:  emulator.MastodonEngagement{Reblogs: 15, Favourites: 3, Replies: 22},
		b:  emulator.BlueskyEngagement{Reposts: 1, Likes: 40, Replies: 6}},
}

// network's shares, reactions and comments of a story as its emulation
// reports them ("" sums the four).
func (s fourStory) figures(network herald.Network) (shares, reactions, comments int64) {
	if network == "" || network == herald.Twitter {
		shares, reactions, comments = s.x.Retweets+s.x.Quotes, s.x.Likes, s.x.Replies
	}
	if network == "" || network == herald.Facebook {
		shares, reactions, comments = shares+s.fb.Shares, reactions+s.fb.Reactions, comments+s.fb.Comments
	}
	if network == "" || network == herald.Mastodon {
		shares, reactions, comments = shares+s.m.Reblogs, reactions+s.m.Favourites, comments+s.m.Replies
	}
	if network == "" || network == herald.Bluesky {
		shares, reactions, comments = shares+s.b.Reposts+s.b.Quotes, reactions+s.b.Likes, comments+s.b.Replies
	}
	return shares, reactions, comments
}

// postedTo reports whether the story has a post on network ("": any).
func (s fourStory) postedTo(network herald.Network) bool {
	if network == "" {
		return true
	}
	for _, id := range s.targets {
		if accountNetwork[id] == network {
			return true
		}
	}
	return false
}

var accountNetwork = map[string]herald.Network{ranktest.XAccount: herald.Twitter, ranktest.FBAccount: herald.Facebook,
	mastoAccount: herald.Mastodon, skyAccount: herald.Bluesky}

// fourNewsroom publishes fourStories at T0 through the real publishers of
// the four networks to their emulations on loopback, sets each post's
// counters at its emulation, and writes a configuration of the four
// accounts on the world's SQLite file. Nothing is read yet: herald collect
// records the engagement as the daemon's collector does.
func fourNewsroom(t *testing.T) string {
	t.Helper()
	clearEnv(t)
	t.Setenv("COLUMNS", "100")
	w := ranktest.New(t, ranktest.Options{Sections: []string{"news"}})
	setClock(t, w.Clock.Now)

	masto, ms := emulator.StartMastodon(emulator.MastodonOptions{})
	t.Cleanup(ms.Close)
	masto.AddAccount(mastoUser)
	sky, bs := emulator.StartBluesky(emulator.BlueskyOptions{})
	t.Cleanup(bs.Close)
	sky.AddAccount(skyUser)
	mc, err := mastodon.New(mastodon.Config{AccountID: mastoAccount, InstanceURL: ms.URL, AccessToken: mastoUser.Token,
		HTTPTimeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bluesky.New(bluesky.Config{AccountID: skyAccount, PDSURL: bs.URL, Handle: skyUser.Handle,
		AppPassword: skyUser.AppPassword, HTTPTimeout: 5 * time.Second}, w.Store, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, now := w.Ctx, w.Clock.Now()
	if err := w.Store.SyncAccounts(ctx, []herald.Account{{ID: ranktest.XAccount, Network: herald.Twitter},
		{ID: ranktest.FBAccount, Network: herald.Facebook}, {ID: mastoAccount, Network: herald.Mastodon},
		{ID: skyAccount, Network: herald.Bluesky}}); err != nil {
		t.Fatal(err)
	}
	keys := map[int64]fourStory{}
	for _, s := range fourStories {
		res, err := w.Store.SaveArticles(ctx, w.Sections["news"], []herald.ArticleInput{{
			URL: "https://example.com/" + s.key, Title: "Story " + s.key, PublishedAt: now.Add(-s.ago),
			Announce: true, Targets: s.targets}}, now)
		if err != nil {
			t.Fatal(err)
		}
		keys[res[0].Article.ID] = s
	}
	pubs := map[string]herald.Publisher{ranktest.XAccount: w.Twitter, ranktest.FBAccount: w.Facebook,
		mastoAccount: mc, skyAccount: bc}
	jobs, err := w.Store.ClaimJobs(ctx, herald.ClaimOptions{Owner: "report-test", Now: now, Lease: time.Minute,
		Accounts:   map[string]time.Duration{ranktest.XAccount: 0, ranktest.FBAccount: 0, mastoAccount: 0, skyAccount: 0},
		PerAccount: 100})
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, j := range jobs {
		if err := w.Store.StartAttempt(ctx, j.ID, "report-test", now, time.Minute); err != nil {
			t.Fatal(err)
		}
		r, err := pubs[j.Account].Publish(ctx, herald.Message{Text: j.Article.Title + " " + j.Article.URL,
			Link: j.Article.URL, Title: j.Article.Title})
		if err != nil {
			t.Fatalf("publish job %d to %s: %v", j.ID, j.Account, err)
		}
		if err := w.Store.FinishJob(ctx, j.ID, "report-test", herald.Outcome{State: herald.JobSent, RemoteID: r.RemoteID,
			Permalink: r.Permalink, SentText: j.Article.Title, SentAt: now, Attempted: true}, now); err != nil {
			t.Fatal(err)
		}
		s := keys[j.ArticleID]
		switch j.Account {
		case ranktest.XAccount:
			w.X.SetMetrics(r.RemoteID, s.x)
		case ranktest.FBAccount:
			if err := w.Graph.SetEngagement(r.RemoteID, s.fb); err != nil {
				t.Fatal(err)
			}
		case mastoAccount:
			masto.SetEngagement(r.RemoteID, s.m)
		case skyAccount:
			sky.SetEngagement(r.RemoteID, s.b)
		}
		sent++
	}
	if sent != 12 {
		t.Fatalf("sent %d posts, want 12", sent)
	}

	u := ranktest.XUser
	cfg := fmt.Sprintf(`
database: {url: "sqlite:%s"}
sources:
  - {name: news, url: "https://example.com/news.xml", targets: [x_main, fb_page, masto, sky]}
accounts:
  x_main: {network: twitter, api_base_url: %q, consumer_key: %q, consumer_secret: %q, access_token: %q, access_token_secret: %q}
  fb_page: {network: facebook, graph_base_url: %q, page_id: %q, page_access_token: %q, app_id: %q, app_secret: %q}
  masto: {network: mastodon, instance_url: %q, access_token: %q}
  sky: {network: bluesky, pds_url: %q, handle: %q, app_password: %q}
`, w.Path, w.XURL, u.ConsumerKey, u.ConsumerSecret, u.AccessToken, u.AccessTokenSecret,
		w.GraphURL, ranktest.PageID, ranktest.PageToken, ranktest.AppID, ranktest.AppSecret,
		ms.URL, mastoUser.Token, bs.URL, skyUser.Handle, skyUser.AppPassword)
	path := filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fourExpected orders the stories posted to network as their figures
// dictate, the newer first on a tie.
func fourExpected(t *testing.T, by string, network herald.Network) []string {
	t.Helper()
	metric := func(s fourStory) float64 {
		sh, re, co := s.figures(network)
		return wantMetric(by, sh, re, co)
	}
	var stories []rankedStory
	for _, s := range fourStories {
		if s.postedTo(network) {
			stories = append(stories, rankedStory{key: s.key, ago: s.ago, value: metric(s)})
		}
	}
	return rankedKeys(t, by, string(network), stories)
}

// reportRows runs herald report --format json and decodes its rows.
func reportRows(t *testing.T, cfg string, args ...string) []rank.Row {
	t.Helper()
	out := heraldOK(t, cfg, append([]string{"report", "--format", "json"}, args...)...)
	return jsonRows[rank.Row](t, out, "stories")
}

func storyKey(r herald.ReportRow) string { return strings.TrimPrefix(r.URL, "https://example.com/") }

func storyByKey(key string) fourStory {
	for _, s := range fourStories {
		if s.key == key {
			return s
		}
	}
	return fourStory{}
}

// Mastodon's and Bluesky's engagement, read by herald collect from their
// emulations, ranks the stories and is shown under the networks' own names
// in every output of herald report.
func TestReportShowsEveryNetwork(t *testing.T) {
	cfg := fourNewsroom(t)
	if out := heraldOK(t, cfg, "collect"); !strings.Contains(out, "Read 12 of 12 due posts") {
		t.Fatalf("collect printed:\n%s", out)
	}

	// Every ranking, on every network, orders as the figures dictate.
	for _, network := range []herald.Network{"", herald.Twitter, herald.Facebook, herald.Mastodon, herald.Bluesky} {
		for _, by := range rank.Rankings {
			args := []string{"--by", by}
			if network != "" {
				args = append(args, "--network", string(network))
			}
			got := pluck(reportRows(t, cfg, args...), func(r rank.Row) string { return storyKey(r.ReportRow) })
			if want := fourExpected(t, by, network); !slices.Equal(got, want) {
				t.Errorf("report %s = %v, want %v", strings.Join(args, " "), got, want)
			}
		}
	}

	// JSON: each network's figures under its name, adding up to the totals.
	for _, r := range reportRows(t, cfg, "--since", "7d") {
		s := storyByKey(storyKey(r.ReportRow))
		if r.Mastodon != (rank.MastodonFigures{Boosts: s.m.Reblogs, Favourites: s.m.Favourites, Replies: s.m.Replies}) {
			t.Errorf("story %s: mastodon %+v, want %+v", s.key, r.Mastodon, s.m)
		}
		if r.Bluesky.Reposts+r.Bluesky.Quotes != s.b.Reposts+s.b.Quotes || r.Bluesky.Likes != s.b.Likes ||
			r.Bluesky.Replies != s.b.Replies {
			t.Errorf("story %s: bluesky %+v, want %+v", s.key, r.Bluesky, s.b)
		}
		if r.Twitter.Retweets != s.x.Retweets || r.Facebook.Reactions != s.fb.Reactions {
			t.Errorf("story %s: twitter %+v facebook %+v", s.key, r.Twitter, r.Facebook)
		}
		sh, re, co := s.figures("")
		if r.Shares != sh || r.Reactions != re || r.Comments != co {
			t.Errorf("story %s: totals %d/%d/%d, want %d/%d/%d", s.key, r.Shares, r.Reactions, r.Comments, sh, re, co)
		}
	}
	// One network's report has only that network's figures.
	for _, r := range reportRows(t, cfg, "--network", "mastodon") {
		s := storyByKey(storyKey(r.ReportRow))
		if r.Mastodon.Boosts != s.m.Reblogs || r.Bluesky != (rank.BlueskyFigures{}) || r.Twitter.Likes != 0 ||
			r.Facebook.Shares != 0 || r.Shares != s.m.Reblogs {
			t.Errorf("story %s on mastodon: %+v", s.key, r)
		}
	}

	// CSV: the columns of every network, named after the network.
	out := heraldOK(t, cfg, "report", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cell := func(rec []string, name string) int64 {
		t.Helper()
		i := slices.Index(recs[0], name)
		if i < 0 {
			t.Fatalf("no CSV column %q in %v", name, recs[0])
		}
		n, err := strconv.ParseInt(rec[i], 10, 64)
		if err != nil {
			t.Fatalf("column %s: %v", name, err)
		}
		return n
	}
	if len(recs) != len(fourStories)+1 {
		t.Fatalf("CSV has %d records:\n%s", len(recs), out)
	}
	for _, rec := range recs[1:] {
		s := storyByKey(strings.TrimPrefix(rec[slices.Index(recs[0], "url")], "https://example.com/"))
		if cell(rec, "mastodon_boosts") != s.m.Reblogs || cell(rec, "mastodon_favourites") != s.m.Favourites ||
			cell(rec, "mastodon_replies") != s.m.Replies {
			t.Errorf("story %s: mastodon columns of %v, want %+v", s.key, rec, s.m)
		}
		if cell(rec, "bluesky_reposts")+cell(rec, "bluesky_quotes") != s.b.Reposts+s.b.Quotes ||
			cell(rec, "bluesky_likes") != s.b.Likes || cell(rec, "bluesky_replies") != s.b.Replies {
			t.Errorf("story %s: bluesky columns of %v, want %+v", s.key, rec, s.b)
		}
		if cell(rec, "twitter_likes") != s.x.Likes || cell(rec, "facebook_comments") != s.fb.Comments {
			t.Errorf("story %s: X and Facebook columns of %v", s.key, rec)
		}
	}

	// The table: a column per network, with the legend of its figures.
	table := heraldOK(t, cfg, "report")
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	if head := strings.Fields(lines[0]); !containsInOrder(head, "X", "FB", "MASTODON", "BLUESKY") {
		t.Errorf("table header %v lacks a network", head)
	}
	for _, want := range []string{"Mastodon: boosts/favourites/replies", "Bluesky: reposts+quotes/likes/replies",
		"40/12/7", "13/88/2", "6/50/1", "31/5/19"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > 100 {
			t.Errorf("line of %d runes with COLUMNS=100: %q", n, l)
		}
	}
	// One network's table has that network's column alone.
	for network, col := range map[string]string{"mastodon": "MASTODON", "bluesky": "BLUESKY", "x": "X", "facebook": "FB"} {
		table := heraldOK(t, cfg, "report", "--network", network)
		var heads []string
		for _, h := range strings.Fields(strings.SplitN(table, "\n", 2)[0]) {
			if slices.Contains([]string{"X", "FB", "MASTODON", "BLUESKY"}, h) {
				heads = append(heads, h)
			}
		}
		if !slices.Equal(heads, []string{col}) {
			t.Errorf("report --network %s: network columns %v, want [%s]\n%s", network, heads, col, table)
		}
	}

	for _, tc := range []struct{ format, file string }{
		{"json", "report_networks.json.golden"},
		{"csv", "report_networks.csv.golden"},
	} {
		out := heraldOK(t, cfg, "report", "--by", "score", "--format", tc.format)
		golden(t, tc.file, out)
	}
}

// containsInOrder reports whether want are all in s, in that order.
func containsInOrder(s []string, want ...string) bool {
	i := 0
	for _, v := range s {
		if i < len(want) && v == want[i] {
			i++
		}
	}
	return i == len(want)
}

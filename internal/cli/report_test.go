package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank/ranktest"
)

// newsroomStory is a story of the report fixture with the engagement the
// emulations report for its posts.
type newsroomStory struct {
	key     string
	section string
	ago     time.Duration // published this long before T0
	fig     ranktest.Figures
}

// newsroomStories have figures chosen so that every ranking, on every
// network, orders them differently and without ties (clicks, all zero, tie
// everywhere: the newer story goes first).
var newsroomStories = []newsroomStory{
	{"a", "mexico", 5 * time.Hour, ranktest.Figures{X: emulator.XMetrics{Retweets: 10, Quotes: 2, Likes: 50, Replies: 5, Impressions: 900},
		FB: emulator.GraphEngagement{Shares: 3, Reactions: 20, Comments: 8}}},
	{"b", "mexico", 4 * time.Hour, ranktest.Figures{X: emulator.XMetrics{Retweets: 30, Likes: 61, Replies: 1, Impressions: 700}}},
	{"c", "business", 3 * time.Hour, ranktest.Figures{FB: emulator.GraphEngagement{Shares: 1, Reactions: 100, Comments: 40}}},
	{"d", "mexico", 2 * time.Hour, ranktest.Figures{X: emulator.XMetrics{Retweets: 4, Quotes: 5, Likes: 57, Replies: 31, Impressions: 400},
		FB: emulator.GraphEngagement{Shares: 11, Reactions: 2, Comments: 6}}},
	{"e", "business", time.Hour, ranktest.Figures{X: emulator.XMetrics{Retweets: 2, Likes: 1, Replies: 3, Impressions: 50},
		FB: emulator.GraphEngagement{Shares: 25, Reactions: 3, Comments: 12}}},
}

// newsroom publishes the stories to both accounts at T0 through the real
// publishers, sets their figures at the emulations, and writes a
// configuration pointing at the world's database and emulations.
func newsroom(t *testing.T) (*ranktest.World, ranktest.Published, string) {
	t.Helper()
	clearEnv(t)
	t.Setenv("COLUMNS", "100")
	w := ranktest.New(t, ranktest.Options{})
	setClock(t, w.Clock.Now)
	var stories []ranktest.Story
	for _, s := range newsroomStories {
		stories = append(stories, ranktest.Story{Key: s.key, Section: s.section, Published: ranktest.T0.Add(-s.ago)})
	}
	p := w.Publish(stories...)
	for _, s := range newsroomStories {
		w.Set(p, s.key, s.fig)
	}
	u := ranktest.XUser
	cfg := fmt.Sprintf(`
database: {url: "sqlite:%s"}
sources:
  - {name: mexico, url: "https://example.com/mexico.xml", targets: [x_main, fb_page]}
  - {name: business, url: "https://example.com/business.xml", targets: [x_main, fb_page]}
accounts:
  x_main: {network: twitter, api_base_url: %q, consumer_key: %q, consumer_secret: %q, access_token: %q, access_token_secret: %q}
  fb_page: {network: facebook, graph_base_url: %q, page_id: %q, page_access_token: %q, app_id: %q, app_secret: %q}
`, w.Path, w.XURL, u.ConsumerKey, u.ConsumerSecret, u.AccessToken, u.AccessTokenSecret,
		w.GraphURL, ranktest.PageID, ranktest.PageToken, ranktest.AppID, ranktest.AppSecret)
	path := filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return w, p, path
}

// herald runs a command line against the configuration and fails the test
// on a non-zero exit.
func heraldOK(t *testing.T, cfg string, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, append([]string{"--config", cfg}, args...)...)
	if code != ExitOK {
		t.Fatalf("herald %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// reportKeys runs herald report --format json and returns the stories' keys
// in rank order.
func reportKeys(t *testing.T, cfg string, args ...string) []string {
	t.Helper()
	out := heraldOK(t, cfg, append([]string{"report", "--format", "json"}, args...)...)
	rows := jsonRows[herald.ReportRow](t, out, "stories")
	keys := make([]string, len(rows))
	for i, r := range rows {
		if r.Rank != i+1 {
			t.Errorf("row %d has rank %d", i, r.Rank)
		}
		keys[i] = strings.TrimPrefix(r.URL, "https://example.com/")
	}
	return keys
}

// wantMetric is what --by ranks a story by, from its shares, reactions and
// comments, with the default score weights (3 a share, 2 a comment, 1 a
// reaction); no story has clicks (no short links).
func wantMetric(by string, sh, re, co int64) float64 {
	switch by {
	case "shares":
		return float64(sh)
	case "reactions":
		return float64(re)
	case "comments":
		return float64(co)
	case "score":
		return 3*float64(sh) + 2*float64(co) + float64(re)
	}
	return 0
}

// expected orders the stories as their figures dictate: by the metric on
// the network ("" for both), the newer first on a tie.
func expected(t *testing.T, by, network string) []string {
	t.Helper()
	metric := func(f ranktest.Figures) float64 {
		var sh, re, co int64
		if network != "facebook" {
			sh, re, co = f.X.Retweets+f.X.Quotes, f.X.Likes, f.X.Replies
		}
		if network != "twitter" {
			sh, re, co = sh+f.FB.Shares, re+f.FB.Reactions, co+f.FB.Comments
		}
		return wantMetric(by, sh, re, co)
	}
	stories := make([]rankedStory, len(newsroomStories))
	for i, s := range newsroomStories {
		stories[i] = rankedStory{key: s.key, ago: s.ago, value: metric(s.fig)}
	}
	return rankedKeys(t, by, network, stories)
}

// rankedStory is a fixture story as an expected ranking sees it.
type rankedStory struct {
	key   string
	ago   time.Duration // published this long before T0
	value float64       // its figure for the ranking
}

// rankedKeys orders stories by value, the newer first on a tie (which the
// fixtures allow only by clicks), and returns their keys.
func rankedKeys(t *testing.T, by, network string, stories []rankedStory) []string {
	t.Helper()
	slices.SortStableFunc(stories, func(x, y rankedStory) int {
		switch {
		case x.value > y.value:
			return -1
		case x.value < y.value:
			return 1
		}
		if by != "clicks" {
			t.Fatalf("fixture tie between %s and %s by %s on %q", x.key, y.key, by, network)
		}
		return int(x.ago - y.ago) // newer first
	})
	keys := make([]string, len(stories))
	for i, s := range stories {
		keys[i] = s.key
	}
	return keys
}

func TestCollectThenReportOrdersAsTheFiguresDictate(t *testing.T) {
	w, _, cfg := newsroom(t)
	out := heraldOK(t, cfg, "collect")
	if !strings.Contains(out, "Read 10 of 10 due posts") || !strings.Contains(out, "Charged 5 reads ($0.03)") {
		t.Errorf("collect printed:\n%s", out)
	}
	seen := map[string]bool{}
	for _, network := range []string{"", "twitter", "facebook"} {
		for _, by := range []string{"shares", "score", "reactions", "comments", "clicks"} {
			args := []string{"--by", by}
			if network != "" {
				args = append(args, "--network", network)
			}
			got, want := reportKeys(t, cfg, args...), expected(t, by, network)
			if !slices.Equal(got, want) {
				t.Errorf("report %s = %v, want %v", strings.Join(args, " "), got, want)
			}
			seen[strings.Join(got, "")] = true
		}
	}
	if len(seen) < 12 {
		t.Errorf("only %d different orders over 15 rankings: the fixture does not tell them apart", len(seen))
	}
	if got := reportKeys(t, cfg); !slices.Equal(got, expected(t, "shares", "")) {
		t.Errorf("default report = %v, want by shares", got)
	}
	if got := reportKeys(t, cfg, "--section", "business", "--by", "reactions"); !slices.Equal(got, []string{"c", "e"}) {
		t.Errorf("business by reactions = %v, want [c e]", got)
	}
	if got := reportKeys(t, cfg, "--limit", "2"); !slices.Equal(got, expected(t, "shares", "")[:2]) {
		t.Errorf("--limit 2 = %v", got)
	}
	if got := reportKeys(t, cfg, "--since", "90m"); !slices.Equal(got, []string{"e"}) {
		t.Errorf("--since 90m = %v, want only the story published an hour ago", got)
	}
	// A second collect on the same UTC day reads again but is not billed again.
	w.Clock.Advance(20 * time.Minute)
	out = heraldOK(t, cfg, "collect", "--format", "json")
	var res collectResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Read != 10 || res.Charged != 0 {
		t.Errorf("second collect: %+v, %v\n%s", res, err, out)
	}
	if m, err := w.Store.Spend(w.Ctx, ranktest.XAccount, time.Time{}); err != nil || m != 5*ranktest.ReadCost {
		t.Errorf("X spend %d, %v; want five reads", m, err)
	}
}

func TestReportTrendingRanksByWhatWasGained(t *testing.T) {
	w, p, cfg := newsroom(t)
	heraldOK(t, cfg, "collect")
	// An hour later: a is shared again, d a little; nothing else moves.
	w.Clock.Advance(time.Hour)
	a, d := newsroomStories[0].fig, newsroomStories[3].fig
	a.X.Retweets += 100
	d.FB.Shares += 7
	d.X.Likes += 1000
	w.Set(p, "a", a)
	w.Set(p, "d", d)
	heraldOK(t, cfg, "collect")

	if got, want := reportKeys(t, cfg, "--trending"), []string{"a", "d", "e", "c", "b"}; !slices.Equal(got, want) {
		t.Errorf("trending by shares = %v, want %v (gains, then newer first)", got, want)
	}
	if got, want := reportKeys(t, cfg, "--trending", "--by", "reactions"), []string{"d", "e", "c", "b", "a"}; !slices.Equal(got, want) {
		t.Errorf("trending by reactions = %v, want %v", got, want)
	}
	if got, want := reportKeys(t, cfg, "--trending", "--network", "facebook"), []string{"d", "e", "c", "b", "a"}; !slices.Equal(got, want) {
		t.Errorf("trending on facebook = %v, want %v", got, want)
	}
	// Totals still rank a by everything it ever earned.
	if got := reportKeys(t, cfg); got[0] != "a" {
		t.Errorf("totals by shares = %v, want a first", got)
	}
	// Trending or not, --since keeps to the stories published in the window.
	w.Clock.Advance(time.Minute)
	var rows []herald.ReportRow
	out := heraldOK(t, cfg, "report", "--trending", "--since", "30m", "--format", "json")
	if err := jsonList([]byte(out), "stories", &rows); err != nil || len(rows) != 0 {
		t.Errorf("trending over the last 30m (no story published then) = %s", out)
	}
}

func TestCollectMarksDeletedPostsGone(t *testing.T) {
	w, p, cfg := newsroom(t)
	heraldOK(t, cfg, "collect")
	if !w.X.DeletePost(p["b"][ranktest.XAccount].RemoteID) {
		t.Fatal("delete at the emulation failed")
	}
	w.Clock.Advance(10 * time.Minute)
	if out := heraldOK(t, cfg, "collect"); !strings.Contains(out, "1 post is gone") {
		t.Errorf("collect printed:\n%s", out)
	}
	if got := reportKeys(t, cfg, "--network", "twitter"); slices.Contains(got, "b") || len(got) != 4 {
		t.Errorf("X ranking after b's post was deleted = %v", got)
	}
	// b's Facebook post still counts.
	if got := reportKeys(t, cfg, "--network", "facebook", "--by", "shares"); !slices.Contains(got, "b") {
		t.Errorf("Facebook ranking = %v, want b still in it", got)
	}
	if got := reportKeys(t, cfg, "--by", "shares"); got[len(got)-1] != "b" {
		t.Errorf("ranking by shares = %v, want b last once its retweets are gone", got)
	}
}

func TestReportFormats(t *testing.T) {
	_, _, cfg := newsroom(t)
	heraldOK(t, cfg, "collect")
	for _, tc := range []struct{ format, file string }{
		{"json", "report.json.golden"},
		{"csv", "report.csv.golden"},
	} {
		out := heraldOK(t, cfg, "report", "--since", "7d", "--by", "score", "--format", tc.format)
		golden(t, tc.file, out)
	}
	table := heraldOK(t, cfg, "report", "--by", "score")
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	if len(lines) != 8 || !strings.HasPrefix(lines[0], "#  TITLE") {
		t.Fatalf("table:\n%s", table)
	}
	for i, key := range expected(t, "score", "") {
		if !strings.Contains(lines[i+2], "Story "+key) {
			t.Errorf("table line %d is not story %s:\n%s", i+2, key, table)
		}
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > 100 {
			t.Errorf("line of %d runes with COLUMNS=100: %q", n, l)
		}
	}
	if strings.Contains(table, "\x1b") {
		t.Error("colour in output that is not a terminal")
	}
	// An empty window says so in a table and is an empty array in JSON.
	if out := heraldOK(t, cfg, "report", "--since", "30m"); out != "No posted story was published in the last 30m.\n" {
		t.Errorf("empty table: %q", out)
	}
	if out := heraldOK(t, cfg, "report", "--since", "30m", "--format", "json"); !strings.HasSuffix(out, "\"stories\": []\n}\n") {
		t.Errorf("empty JSON: %q", out)
	}
}

func TestReportRejectsBadFlags(t *testing.T) {
	_, _, cfg := newsroom(t)
	refusesUsage(t, cfg, "report", []usageCase{
		{[]string{"--since", "yesterday"}, "--since"},
		{[]string{"--since", "-7d"}, "--since"},
		{[]string{"--by", "likes"}, "--by"},
		{[]string{"--network", "myspace"}, "--network"},
		{[]string{"--limit", "0"}, "--limit"},
		{[]string{"--limit", "5000"}, "--limit"},
		{[]string{"--format", "xml"}, "--format"},
		{[]string{"--limit", "ten"}, "--limit"},
	})
	// A section that does not exist is "not found": exit 1.
	if code, out, errOut := run(t, "--config", cfg, "report", "--section", "sports"); code != ExitFailure ||
		!strings.Contains(errOut, "--section") || out != "" {
		t.Errorf("report --section sports: exit %d, stdout %q, stderr %q; want 1 naming --section", code, out, errOut)
	}
	sandbox := writeConfig(t, validConfig)
	code, out, errOut := run(t, "--config", sandbox, "collect")
	if code != ExitOK || !strings.Contains(out, "Read 0 of 0 due posts") {
		t.Errorf("collect in sandbox mode: exit %d, %q, %q; want a pass over the sandbox", code, out, errOut)
	}
	code, _, errOut = run(t, "--config", cfg, "collect", "--format", "xml")
	if code != ExitUsage || !strings.Contains(errOut, "--format") {
		t.Errorf("collect --format xml: exit %d, %q", code, errOut)
	}
}

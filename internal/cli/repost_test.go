package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/rank/ranktest"
)

const day = 24 * time.Hour

// desk is a newsroom for the editors' commands: ranktest's world (the X and
// Graph emulations, a SQLite file), stories posted to both accounts, and a
// configuration file pointing at them.
type desk struct {
	w   *ranktest.World
	p   ranktest.Published
	cfg string    // the configuration file
	now time.Time // when the stories were read: their ages count from it
}

// deskStory is a story of the desk: posted when it was published, age
// before the desk's time, to x_main and fb_page (or targets), with likes
// and a tenth as many retweets on X.
type deskStory struct {
	key, section string
	age          time.Duration
	likes        int64
	targets      []string
}

// newDesk builds a desk on the wall clock: what the command sends is
// recorded at the time the networks answer, as in production. addr is
// http.addr ("" for a port where no daemon answers); extra is appended to
// the configuration (YAML).
func newDesk(t *testing.T, addr, extra string, stories ...deskStory) *desk {
	t.Helper()
	return newDeskAt(t, time.Time{}, addr, extra, stories...)
}

// newDeskAt builds a desk whose clock, and the command's, stands still at
// at (for golden files); a zero at is the wall clock.
func newDeskAt(t *testing.T, at time.Time, addr, extra string, stories ...deskStory) *desk {
	t.Helper()
	clearEnv(t)
	t.Setenv("COLUMNS", "120")
	t.Setenv("NO_COLOR", "")
	w := ranktest.New(t, ranktest.Options{Sections: []string{"mexico", "business", "world"}})
	if at.IsZero() {
		at = time.Now().UTC().Truncate(time.Second)
	} else {
		setClock(t, w.Clock.Now)
	}
	d := &desk{w: w, p: ranktest.Published{}, now: at}
	for _, s := range stories {
		w.Clock.Set(at.Add(-s.age))
		targets := s.targets
		if targets == nil {
			targets = []string{ranktest.XAccount, ranktest.FBAccount}
		}
		p := w.Publish(ranktest.Story{Key: s.key, Section: s.section, Published: w.Clock.Now(), Targets: targets})
		d.p[s.key] = p[s.key]
	}
	w.Clock.Set(at)
	if len(stories) > 0 {
		for _, s := range stories {
			w.Set(d.p, s.key, ranktest.Figures{X: emulator.XMetrics{Likes: s.likes, Retweets: s.likes / 10}})
		}
		if _, err := w.Collector(rank.Options{CollectFor: 90 * day, Owner: "desk"}).Pass(w.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	if addr == "" {
		addr = "127.0.0.1:1" // nothing listens on port 1: no daemon
	}
	u := ranktest.XUser
	cfg := fmt.Sprintf(`
database: {url: "sqlite:%s"}
http: {addr: %q}
sources:
  - {name: mexico, url: "https://example.com/mexico.xml", targets: [x_main, fb_page]}
  - {name: business, url: "https://example.com/business.xml", targets: [x_main, fb_page], time_bound: true}
  - {name: world, url: "https://example.com/world.xml", targets: [x_main]}
accounts:
  x_main: {network: twitter, api_base_url: %q, consumer_key: %q, consumer_secret: %q, access_token: %q, access_token_secret: %q}
  fb_page: {network: facebook, graph_base_url: %q, page_id: %q, page_access_token: %q, app_id: %q, app_secret: %q}
%s`, w.Path, addr, w.XURL, u.ConsumerKey, u.ConsumerSecret, u.AccessToken, u.AccessTokenSecret,
		w.GraphURL, ranktest.PageID, ranktest.PageToken, ranktest.AppID, ranktest.AppSecret, extra)
	d.cfg = filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(d.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

// record records a post of an article on account as the dispatcher would,
// sent at at with the given outcome (State sent: a remote ID and permalink
// are made up when not given).
func (d *desk) record(t *testing.T, articleID int64, account string, at time.Time, o herald.Outcome) herald.Job {
	t.Helper()
	ctx := context.Background()
	j, err := d.w.Store.CreateJob(ctx, herald.NewJob{ArticleID: articleID, Account: account, Kind: herald.KindRepost}, at)
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := d.w.Store.ClaimJobs(ctx, herald.ClaimOptions{Owner: "desk", Now: at, Lease: time.Minute,
		Accounts: map[string]time.Duration{account: 0}, PerAccount: 100})
	if err != nil || len(claimed) != 1 || claimed[0].ID != j.ID {
		t.Fatalf("claim job %d: %+v, %v", j.ID, claimed, err)
	}
	if err := d.w.Store.StartAttempt(ctx, j.ID, "desk", at, time.Minute); err != nil {
		t.Fatal(err)
	}
	if o.State == herald.JobSent {
		if o.RemoteID == "" {
			o.RemoteID = "9" + strconv.FormatInt(j.ID, 10)
			o.Permalink = "https://x.com/daily_news/status/" + o.RemoteID
		}
		o.SentAt = at
	}
	o.Attempted = true
	if err := d.w.Store.FinishJob(ctx, j.ID, "desk", o, at); err != nil {
		t.Fatal(err)
	}
	j, err = d.w.Store.GetJob(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// id is a story's article ID.
func (d *desk) id(key string) int64 {
	for _, p := range d.p[key] {
		return p.ArticleID
	}
	d.w.T.Fatalf("no story %q", key)
	return 0
}

// jobs returns an article's jobs, oldest first.
func (d *desk) jobs(t *testing.T, articleID int64) []herald.Job {
	t.Helper()
	jobs, err := d.w.Store.ListJobs(context.Background(), herald.JobFilter{ArticleID: articleID})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(jobs)
	return jobs
}

// xTexts returns the texts of the posts the X emulation holds, in order.
func (d *desk) xTexts() []string {
	var out []string
	for _, p := range d.w.X.Posts() {
		out = append(out, p.Text)
	}
	return out
}

func repostRows(t *testing.T, out string) []repostRow {
	t.Helper()
	return jsonRows[repostRow](t, out, "reposts")
}

func TestRepostSendsWithTheRepostTemplate(t *testing.T) {
	d := newDesk(t, "", "", deskStory{key: "storm", section: "mexico", age: 2 * day, likes: 50})
	id := strconv.FormatInt(d.id("storm"), 10)
	out, errOut := fails(t, d.cfg, ExitOK, []string{"repost", id, "--format", "json"})
	rows := repostRows(t, out)
	if len(rows) != 2 {
		t.Fatalf("rows %+v, want one per account that posted it", rows)
	}
	for _, r := range rows {
		// Each network's own repost template: on Facebook the link is sent
		// beside the message, not in it.
		want := "ICYMI: Story storm https://example.com/storm"
		if r.Account == "fb_page" {
			want = "ICYMI: Story storm"
		}
		if r.State != "sent" || r.Seq != 1 || r.Permalink == "" || r.Text != want {
			t.Errorf("%s: %+v; want sent with seq 1, the repost text and a permalink", r.Account, r)
		}
	}
	if !strings.Contains(errOut, "No daemon answers at http://127.0.0.1:1/healthz") {
		t.Errorf("stderr does not say why it sent itself:\n%s", errOut)
	}
	if got := d.xTexts(); !slices.Equal(got, []string{"Story storm https://example.com/storm", "ICYMI: Story storm https://example.com/storm"}) {
		t.Errorf("X holds %q", got)
	}
	fb := d.w.Graph.Posts()
	if len(fb) != 2 || fb[1].Message != "ICYMI: Story storm" || fb[1].Link != "https://example.com/storm" {
		t.Errorf("the Page holds %+v", fb)
	}

	// Reposting again on X: the same text, so X calls it a duplicate. The
	// job is skipped with X's message, and not retried.
	before := d.w.X.Count("POST /2/tweets")
	out, _ = fails(t, d.cfg, ExitFailure, []string{"repost", id, "--account", "x_main"}, "1 of 1 reposts were not sent")
	for _, want := range []string{"skipped: duplicate", "You are not allowed to create a Tweet with duplicate content."} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if n := d.w.X.Count("POST /2/tweets") - before; n != 1 {
		t.Errorf("X was asked %d times, want once (never retried blindly)", n)
	}
	jobs := d.jobs(t, d.id("storm"))
	last := jobs[len(jobs)-1]
	if last.Account != "x_main" || last.Seq != 2 || last.State != herald.JobSkipped || last.SkipReason != herald.SkipDuplicate ||
		last.LastError != "You are not allowed to create a Tweet with duplicate content." || last.Attempts != 1 {
		t.Errorf("duplicate job: %+v", last)
	}

	// A template of its own makes a new text, which X takes.
	out, _ = fails(t, d.cfg, ExitOK, []string{"repost", id, "--account", "x_main", "--template", "Still reading: {{.Title}} {{.URL}}"})
	if !strings.Contains(out, "sent") || d.xTexts()[2] != "Still reading: Story storm https://example.com/storm" {
		t.Errorf("with --template: %q\n%s", d.xTexts(), out)
	}
	// --text is the post as written, the link added.
	fails(t, d.cfg, ExitOK, []string{"repost", id, "--account", "x_main", "--text", "Hour by hour"})
	if got := d.xTexts()[3]; got != "Hour by hour https://example.com/storm" {
		t.Errorf("with --text X got %q", got)
	}
}

func TestRepostUnknownURLReadsThePage(t *testing.T) {
	d := newDesk(t, "", "")
	page := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>Site | Quake</title><meta property="og:title" content="Quake shakes the capital">
<link rel="canonical" href="https://example.com/quake?utm_source=feed"></head><body>...</body></html>`)
	}))
	// A dry run reads the page and records nothing.
	out, _ := fails(t, d.cfg, ExitOK, []string{"repost", page + "/amp/quake", "--dry-run", "--format", "json"})
	rows := repostRows(t, out)
	if len(rows) != 2 || rows[0].State != "dry-run" || rows[1].Text != "ICYMI: Quake shakes the capital https://example.com/quake" {
		t.Errorf("dry run: %+v", rows)
	}
	// As a table off a terminal, the text it exists to show is whole,
	// however narrow $COLUMNS says a terminal would be.
	t.Setenv("COLUMNS", "60")
	if out, _ := fails(t, d.cfg, ExitOK, []string{"repost", page + "/amp/quake", "--dry-run"}); !strings.Contains(out,
		"ICYMI: Quake shakes the capital https://example.com/quake") || strings.Contains(out, "…") {
		t.Errorf("dry run table cut:\n%s", out)
	}
	if _, err := d.w.Store.FindArticle(context.Background(), "https://example.com/quake"); err == nil {
		t.Error("a dry run recorded the article")
	}
	if n := len(d.w.X.Posts()); n != 0 {
		t.Errorf("a dry run posted %d times", n)
	}

	_, errOut := fails(t, d.cfg, ExitOK, []string{"repost", page + "/amp/quake", "--account", "x_main"})
	art, err := d.w.Store.FindArticle(context.Background(), "https://example.com/quake")
	if err != nil || art.Title != "Quake shakes the capital" || art.Section != "adhoc" {
		t.Fatalf("article %+v, %v; want it recorded on adhoc", art, err)
	}
	if !strings.Contains(errOut, "Recorded https://example.com/quake as article") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if got := d.xTexts(); !slices.Equal(got, []string{"ICYMI: Quake shakes the capital https://example.com/quake"}) {
		t.Errorf("X holds %q", got)
	}
	jobs := d.jobs(t, art.ID)
	if len(jobs) != 1 || jobs[0].Seq != 1 || jobs[0].Kind != herald.KindRepost {
		t.Errorf("jobs %+v: want only the repost (the article is not announced)", jobs)
	}
	// Known now: by its canonical URL it is the same article.
	fails(t, d.cfg, ExitOK, []string{"repost", "https://example.com/quake", "--account", "fb_page"})
	if jobs := d.jobs(t, art.ID); len(jobs) != 2 {
		t.Errorf("second repost by URL: %d jobs, want 2", len(jobs))
	}
}

func TestRepostLeavesJobsToARunningDaemon(t *testing.T) {
	d := newDesk(t, healthz(t), "", deskStory{key: "storm", section: "mexico", age: 2 * day, likes: 50})
	id := strconv.FormatInt(d.id("storm"), 10)
	out, errOut := fails(t, d.cfg, ExitOK, []string{"repost", id, "--format", "json"})
	rows := repostRows(t, out)
	if len(rows) != 2 || rows[0].State != "pending" || rows[0].JobID == 0 || rows[0].DueAt == nil {
		t.Errorf("rows %+v: want pending jobs with their IDs", rows)
	}
	if !strings.Contains(errOut, "sends the jobs, spaced as usual") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if n := len(d.w.X.Posts()); n != 1 {
		t.Errorf("X holds %d posts, want only the first (the daemon sends the repost)", n)
	}
}

func TestRepostLater(t *testing.T) {
	d := newDesk(t, "", "", deskStory{key: "storm", section: "mexico", age: 2 * day, likes: 50})
	id := strconv.FormatInt(d.id("storm"), 10)
	before := time.Now()
	out, errOut := fails(t, d.cfg, ExitOK, []string{"repost", id, "--in", "2h", "--account", "x_main"})
	if !strings.Contains(out, "pending") || !strings.Contains(out, "due in 1h 59m") && !strings.Contains(out, "due in 2h 0m") ||
		!strings.Contains(errOut, "wait for herald run") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	jobs := d.jobs(t, d.id("storm"))
	if j := jobs[len(jobs)-1]; j.State != herald.JobPending || j.NextAttemptAt.Before(before.Add(2*time.Hour-time.Second)) ||
		j.NextAttemptAt.After(time.Now().Add(2*time.Hour)) {
		t.Errorf("job %+v: want pending, due in 2h", j)
	}
	due := d.now.Add(26 * time.Hour)
	at := due.Format(time.RFC3339)
	fails(t, d.cfg, ExitOK, []string{"repost", id, "--at", at, "--account", "fb_page"})
	jobs = d.jobs(t, d.id("storm"))
	if j := jobs[len(jobs)-1]; !j.NextAttemptAt.Equal(due) {
		t.Errorf("--at %s: due %s", at, j.NextAttemptAt)
	}
	if n := len(d.w.X.Posts()); n != 1 {
		t.Errorf("X holds %d posts, want 1: nothing is due yet", n)
	}
}

func TestRepostUsageErrors(t *testing.T) {
	d := newDesk(t, "", "", deskStory{key: "storm", section: "mexico", age: 2 * day, likes: 50})
	id := strconv.FormatInt(d.id("storm"), 10)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"repost"}, "an article (its ID or URL) or --top N is required"},
		{[]string{"repost", id, "--top", "3"}, "--top: give either an article or --top"},
		{[]string{"repost", id, "--at", "15:00", "--in", "2h"}, "--at: give either --at or --in"},
		{[]string{"repost", id, "--text", "x", "--template", "{{.Title}}"}, "--text: a text written by hand uses no template"},
		{[]string{"repost", id, "--at", "tomorrow"}, "--at: want a time like"},
		{[]string{"repost", id, "--at", "2020-01-01T00:00:00Z"}, "--at: 2020-01-01T00:00:00Z is in the past"},
		{[]string{"repost", id, "--in", "soon"}, "--in: "},
		{[]string{"repost", id, "--since", "7d"}, "go with --top"},
		{[]string{"repost", "--top", "2", "--text", "x"}, "--text: one text cannot fit several stories"},
		{[]string{"repost", "--top", "2", "--by", "views", "--yes"}, "--by: must be one of"},
		{[]string{"repost", "--top", "2", "--min-age", "1d"}, "not on a terminal, so nothing was asked; add --yes"},
		{[]string{"repost", "not a url"}, "must be an absolute http or https URL"},
		{[]string{"repost", id, "--format", "xml"}, "--format: must be one of"},
	} {
		fails(t, d.cfg, ExitUsage, tt.args, tt.want)
	}
	fails(t, d.cfg, ExitFailure, []string{"repost", "999"}, "no article has ID 999")
	fails(t, d.cfg, ExitFailure, []string{"repost", id, "--account", "nobody"}, `--account: no account is named "nobody"`)
	fails(t, d.cfg, ExitFailure, []string{"repost", "--top", "2", "--exclude-section", "sport", "--yes"},
		`--exclude-section: no source is named "sport"`)
	if n := len(d.jobs(t, d.id("storm"))); n != 2 {
		t.Errorf("%d jobs after refused command lines, want the 2 first posts", n)
	}
}

func TestParseDue(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.Local)
	for _, tt := range []struct {
		at, in string
		want   time.Time
	}{
		{"", "", time.Time{}},
		{"", "90m", now.Add(90 * time.Minute)},
		{"", "1d", now.Add(day)},
		{"15:30", "", time.Date(2026, 3, 10, 15, 30, 0, 0, time.Local)},
		{"09:00", "", time.Date(2026, 3, 11, 9, 0, 0, 0, time.Local)}, // already past today
		{"2026-03-12 08:15", "", time.Date(2026, 3, 12, 8, 15, 0, 0, time.Local)},
		{"2026-03-12T08:15:00Z", "", time.Date(2026, 3, 12, 8, 15, 0, 0, time.UTC)},
	} {
		got, err := parseDue(tt.at, tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseDue(%q, %q) = %s, %v; want %s", tt.at, tt.in, got, err, tt.want)
		}
	}
}

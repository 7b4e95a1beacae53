package evergreen

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
	"github.com/heraldhq/herald/internal/rank/ranktest"
	"github.com/heraldhq/herald/internal/testkit"
)

const day = 24 * time.Hour

var accounts = []string{ranktest.FBAccount, ranktest.XAccount}

// story is a story of the fixture: published (and posted) age before T0,
// with likes on X, so that its score is 1 per like.
type story struct {
	key, section string
	age          time.Duration
	likes        int64
	targets      []string
}

// fixture publishes the stories, each posted when it was published, reads
// their engagement at T0, and returns the world and what was sent.
func fixture(t *testing.T, stories ...story) (*ranktest.World, ranktest.Published) {
	t.Helper()
	w := ranktest.New(t, ranktest.Options{Sections: []string{"mexico", "business", "world"}})
	all := ranktest.Published{}
	for _, s := range stories {
		w.Clock.Set(ranktest.T0.Add(-s.age))
		targets := s.targets
		if targets == nil {
			targets = []string{ranktest.XAccount}
		}
		p := w.Publish(ranktest.Story{Key: s.key, Section: s.section, Published: w.Clock.Now(), Targets: targets})
		all[s.key] = p[s.key]
	}
	w.Clock.Set(ranktest.T0)
	for _, s := range stories {
		w.Set(all, s.key, ranktest.Figures{X: emulator.XMetrics{Likes: s.likes}})
	}
	if _, err := w.Collector(rank.Options{CollectFor: 90 * day, Owner: "test"}).Pass(w.Ctx); err != nil {
		t.Fatal(err)
	}
	return w, all
}

// sendRepost records a repost of an article on account, sent at at.
func sendRepost(t *testing.T, w *ranktest.World, articleID int64, account string, at time.Time) {
	t.Helper()
	j, err := w.Store.CreateJob(w.Ctx, herald.NewJob{ArticleID: articleID, Account: account, Kind: herald.KindRepost}, at)
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := w.Store.ClaimJobs(w.Ctx, herald.ClaimOptions{Owner: "t", Now: at, Lease: time.Minute,
		Accounts: map[string]time.Duration{account: 0}, PerAccount: 10})
	if err != nil || len(claimed) != 1 || claimed[0].ID != j.ID {
		t.Fatalf("claim repost: %v, %+v", err, claimed)
	}
	if err := w.Store.StartAttempt(w.Ctx, j.ID, "t", at, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := w.Store.FinishJob(w.Ctx, j.ID, "t", herald.Outcome{State: herald.JobSent, RemoteID: "r" + strconv.FormatInt(j.ID, 10),
		SentAt: at, Attempted: true}, at); err != nil {
		t.Fatal(err)
	}
}

func keys(picks []Pick) []string {
	var out []string
	for _, p := range picks {
		out = append(out, strings.TrimPrefix(p.Article.URL, "https://example.com/"))
	}
	return out
}

func TestSelectSkipsWhatMustNotBeReshared(t *testing.T) {
	t.Parallel()
	w, p := fixture(t,
		story{key: "young", section: "mexico", age: 1 * day, likes: 900},      // under min age
		story{key: "top", section: "mexico", age: 10 * day, likes: 800},       // picked first
		story{key: "live", section: "business", age: 8 * day, likes: 700},     // time-bound section
		story{key: "reshared", section: "mexico", age: 12 * day, likes: 600},  // reshared 5 days ago
		story{key: "scheduled", section: "mexico", age: 12 * day, likes: 550}, // a reshare is waiting
		story{key: "excluded", section: "world", age: 6 * day, likes: 500},    // --exclude-section world
		story{key: "old", section: "mexico", age: 40 * day, likes: 5000},      // outside the window
		story{key: "both", section: "mexico", age: 7 * day, likes: 400, // picked second, on both accounts
			targets: []string{ranktest.XAccount, ranktest.FBAccount}},
		story{key: "longago", section: "mexico", age: 20 * day, likes: 300}, // reshared 40 days ago: eligible
		story{key: "quiet", section: "mexico", age: 9 * day, likes: 0},      // earned nothing
	)
	ctx := context.Background()
	sendRepost(t, w, p["reshared"][ranktest.XAccount].ArticleID, ranktest.XAccount, ranktest.T0.Add(-5*day))
	sendRepost(t, w, p["longago"][ranktest.XAccount].ArticleID, ranktest.XAccount, ranktest.T0.Add(-40*day))
	if _, err := w.Store.CreateJob(ctx, herald.NewJob{ArticleID: p["scheduled"][ranktest.XAccount].ArticleID,
		Account: ranktest.XAccount, Kind: herald.KindRepost, DueAt: ranktest.T0.Add(2 * time.Hour)}, ranktest.T0); err != nil {
		t.Fatal(err)
	}

	c := Criteria{Count: 3, Since: 30 * day, By: "score", MinAge: 3 * day, MinGap: 30 * day,
		ExcludeSections: []string{"world"}, TimeBound: []string{"business"}}
	sel, err := Select(ctx, w.Store, c, accounts, ranktest.T0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keys(sel.Picks), []string{"top", "both", "longago"}; !slices.Equal(got, want) {
		t.Fatalf("picks %v, want %v; skipped %+v", got, want, sel.Skipped)
	}
	if got := sel.Picks[0].Accounts; !slices.Equal(got, []string{ranktest.XAccount}) {
		t.Errorf("top goes to %v, want the account that posted it", got)
	}
	if got := sel.Picks[1].Accounts; !slices.Equal(got, accounts) {
		t.Errorf("both goes to %v, want %v", got, accounts)
	}
	reasons := map[string]string{}
	for _, k := range sel.Skipped {
		reasons[strings.TrimPrefix(k.Title, "Story ")] = k.Reason
	}
	want := map[string]string{
		"young":     "published 1d ago (min age 3d)",
		"live":      "section business is time-bound",
		"reshared":  "reshared 5d ago (min gap 30d)",
		"scheduled": "a reshare is due in 2h",
		"excluded":  "section world is excluded",
	}
	for k, r := range want {
		if reasons[k] != r {
			t.Errorf("%s skipped for %q, want %q", k, reasons[k], r)
		}
	}
	if len(sel.Skipped) != len(want) {
		t.Errorf("skipped %+v, want only %v", sel.Skipped, want)
	}

	// Fewer eligible stories than asked: all of them, and no more.
	c.Count = 10
	if sel, err = Select(ctx, w.Store, c, accounts, ranktest.T0); err != nil || len(sel.Picks) != 3 {
		t.Errorf("count 10: %v picks, %v; want the 3 eligible", keys(sel.Picks), err)
	}
	// A smaller gap lets the story reshared 5 days ago in.
	c.Count, c.MinGap = 1, 4*day
	c.TimeBound, c.ExcludeSections = nil, nil
	c.By = "likes"
	if _, err := Select(ctx, w.Store, c, accounts, ranktest.T0); err == nil {
		t.Error("an unknown ranking was accepted")
	}
	c.By = "reactions"
	sel, err = Select(ctx, w.Store, c, accounts, ranktest.T0.Add(time.Minute))
	if err != nil || !slices.Equal(keys(sel.Picks), []string{"top"}) {
		t.Errorf("by reactions: %v, %v", keys(sel.Picks), err)
	}
}

func TestSelectWaitsAfterALatePost(t *testing.T) {
	t.Parallel()
	// A story published ten days ago whose automatic post went out only a
	// day ago waits for the minimum age after that post.
	w := ranktest.New(t, ranktest.Options{})
	w.Clock.Set(ranktest.T0.Add(-day))
	p := w.Publish(ranktest.Story{Key: "late", Published: ranktest.T0.Add(-10 * day), Targets: []string{ranktest.XAccount}})
	w.Clock.Set(ranktest.T0)
	w.Set(p, "late", ranktest.Figures{X: emulator.XMetrics{Likes: 10}})
	if _, err := w.Collector(rank.Options{Owner: "test"}).Pass(w.Ctx); err != nil {
		t.Fatal(err)
	}
	c := Criteria{Count: 1, Since: 30 * day, MinAge: 3 * day, MinGap: 30 * day}
	sel, err := Select(context.Background(), w.Store, c, accounts, ranktest.T0)
	if err != nil || len(sel.Picks) != 0 || len(sel.Skipped) != 1 || sel.Skipped[0].Reason != "posted 1d ago (min age 3d)" {
		t.Errorf("picks %v, skipped %+v, %v", keys(sel.Picks), sel.Skipped, err)
	}
	c.MinAge = day / 2
	if sel, err = Select(context.Background(), w.Store, c, accounts, ranktest.T0); err != nil || len(sel.Picks) != 1 {
		t.Errorf("min age 12h: picks %v, skipped %+v, %v", keys(sel.Picks), sel.Skipped, err)
	}
}

func TestReshareCreatesRepostJobs(t *testing.T) {
	t.Parallel()
	w, _ := fixture(t,
		story{key: "a", section: "mexico", age: 5 * day, likes: 10, targets: []string{ranktest.XAccount, ranktest.FBAccount}},
		story{key: "b", section: "mexico", age: 6 * day, likes: 5})
	ctx := context.Background()
	sel, err := Select(ctx, w.Store, Criteria{Count: 2, Since: 30 * day, MinAge: 3 * day, MinGap: 30 * day}, accounts, ranktest.T0)
	if err != nil || len(sel.Picks) != 2 {
		t.Fatalf("picks %v, %v", keys(sel.Picks), err)
	}
	var seen []int64
	due := ranktest.T0.Add(time.Hour)
	jobs, err := Reshare(ctx, w.Store, sel.Picks, herald.NewJob{DueAt: due, Template: "Again: {{.Title}}"}, ranktest.T0, func(j herald.Job) { seen = append(seen, j.ID) })
	if err != nil || len(jobs) != 3 || len(seen) != 3 {
		t.Fatalf("jobs %d, callbacks %d, %v; want 3", len(jobs), len(seen), err)
	}
	for _, j := range jobs {
		if j.Kind != herald.KindRepost || j.Seq != 1 || j.State != herald.JobPending || !j.NextAttemptAt.Equal(due) ||
			j.Template != "Again: {{.Title}}" {
			t.Errorf("job %+v: want a pending repost with Seq 1 due at %s", j, due)
		}
	}
	// Straight after, the same selection finds nothing: the reshares wait.
	sel, err = Select(ctx, w.Store, Criteria{Count: 2, Since: 30 * day, MinAge: 3 * day, MinGap: time.Minute}, accounts, ranktest.T0)
	if err != nil || len(sel.Picks) != 0 {
		t.Errorf("after resharing: picks %v, %v", keys(sel.Picks), err)
	}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	jobs := []herald.Job{
		{Account: "x_main", State: herald.JobSent},
		{Account: "fb_page", State: herald.JobFailed},
		{Account: "gone", State: herald.JobSent}, // no longer configured
	}
	if got := Targets(jobs, []string{"fb_page", "x_main"}); !slices.Equal(got, []string{"x_main"}) {
		t.Errorf("Targets = %v, want [x_main]", got)
	}
	if got := Targets(jobs[1:2], []string{"fb_page", "x_main"}); !slices.Equal(got, []string{"fb_page", "x_main"}) {
		t.Errorf("nothing sent: Targets = %v, want every account", got)
	}
}

func TestLastPosts(t *testing.T) {
	t.Parallel()
	t0 := ranktest.T0
	post, reshare := LastPosts([]herald.Job{
		{Seq: 0, State: herald.JobSent, SentAt: t0.Add(-10 * day)},
		{Seq: 0, State: herald.JobPending, ScheduledAt: t0},           // not posted yet
		{Seq: 1, State: herald.JobSkipped, ScheduledAt: t0.Add(-day)}, // X said duplicate
		{Seq: 2, State: herald.JobSent, SentAt: t0.Add(-3 * day)},     // a reshare
		{Seq: 3, State: herald.JobFailed, ScheduledAt: t0.Add(-2 * day)},
	})
	if !post.Equal(t0.Add(-3*day)) || !reshare.Equal(t0.Add(-3*day)) {
		t.Errorf("LastPosts = %s, %s", post, reshare)
	}
}

func TestCriteriaCheck(t *testing.T) {
	t.Parallel()
	good := Criteria{Count: 1, Since: day}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Criteria{{Count: 0, Since: day}, {Count: 1}, {Count: 1, Since: day, MinAge: -1},
		{Count: 1, Since: day, MinGap: -1}, {Count: 1, Since: day, By: "views"}} {
		if err := c.Check(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestAgo(t *testing.T) {
	t.Parallel()
	testkit.Table(t, "Ago", Ago, map[time.Duration]string{
		90 * time.Second: "2m", 5 * time.Hour: "5h", 3 * day: "3d", 2*day + 4*time.Hour: "2d 4h", 720 * time.Hour: "30d",
	})
}

package cli

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank/ranktest"
)

// historyDesk is a desk standing still at T0 where story "storm" was
// posted, reshared on both accounts (the Page's reshare deleted since), then
// refused by X as a duplicate, and has one more reshare waiting.
func historyDesk(t *testing.T) *desk {
	t.Helper()
	d := newDeskAt(t, ranktest.T0, "", "",
		deskStory{key: "storm", section: "mexico", age: 3 * day, likes: 50},
		deskStory{key: "rain", section: "world", age: 2 * day, likes: 20, targets: []string{ranktest.XAccount}})
	t.Setenv("COLUMNS", "160")
	ctx := context.Background()
	id := d.id("storm")
	x := d.record(t, id, ranktest.XAccount, ranktest.T0.Add(-day), herald.Outcome{State: herald.JobSent,
		SentText: "ICYMI: Story storm https://example.com/storm"})
	if err := d.w.Store.SaveSnapshots(ctx, []herald.Snapshot{{JobID: x.ID, At: ranktest.T0.Add(-time.Hour),
		Engagement: herald.Engagement{Retweets: 2, Quotes: 1, Likes: 12, Replies: 3, Impressions: 400}}}); err != nil {
		t.Fatal(err)
	}
	fb := d.record(t, id, ranktest.FBAccount, ranktest.T0.Add(-20*time.Hour), herald.Outcome{State: herald.JobSent,
		RemoteID: ranktest.PageID + "_5001", Permalink: "https://www.facebook.com/" + ranktest.PageID + "/posts/5001"})
	if err := d.w.Store.MarkDeleted(ctx, fb.ID, ranktest.T0.Add(-19*time.Hour)); err != nil {
		t.Fatal(err)
	}
	d.record(t, id, ranktest.XAccount, ranktest.T0.Add(-2*time.Hour), herald.Outcome{State: herald.JobSkipped,
		SkipReason: herald.SkipDuplicate, ErrorKind: herald.ErrDuplicate,
		Error: "You are not allowed to create a Tweet with duplicate content."})
	if _, err := d.w.Store.CreateJob(ctx, herald.NewJob{ArticleID: id, Account: ranktest.FBAccount, Kind: herald.KindRepost,
		DueAt: ranktest.T0.Add(3 * time.Hour)}, ranktest.T0); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHistoryGolden(t *testing.T) {
	d := historyDesk(t)
	id := strconv.FormatInt(d.id("storm"), 10)
	golden(t, "history.golden", heraldOK(t, d.cfg, "history", id))
	golden(t, "history.json.golden", heraldOK(t, d.cfg, "history", id, "--format", "json"))
	golden(t, "history.csv.golden", heraldOK(t, d.cfg, "history", id, "--format", "csv"))

	rows := jsonRows[historyRow](t, heraldOK(t, d.cfg, "history", "https://example.com/storm?utm_source=x", "--format", "json"), "posts")
	var seqs []string
	for _, r := range rows {
		seqs = append(seqs, r.Account+"/"+strconv.Itoa(r.Seq)+"/"+r.State)
	}
	if got := strings.Join(seqs, " "); got != "fb_page/0/sent fb_page/1/sent fb_page/2/pending x_main/0/sent x_main/1/sent x_main/2/skipped" {
		t.Errorf("history by URL: %s", got)
	}
	if x := rows[4]; x.Shares != 3 || x.Reactions != 12 || x.Comments != 3 || x.Impressions != 400 || x.Text == "" {
		t.Errorf("x_main's reshare: %+v; want its latest engagement", x)
	}
	if fb := rows[1]; fb.DeletedAt == nil || fb.Permalink == "" {
		t.Errorf("the Page's reshare: %+v; want it deleted, with its permalink", fb)
	}

	out := heraldOK(t, d.cfg, "history", strconv.FormatInt(d.id("rain"), 10))
	if !strings.Contains(out, "x_main") || strings.Contains(out, "fb_page") {
		t.Errorf("rain went to x_main only:\n%s", out)
	}
	fails(t, d.cfg, ExitFailure, []string{"history", "https://example.com/nothing"}, "herald has no article at https://example.com/nothing")
	fails(t, d.cfg, ExitFailure, []string{"history", "77"}, "no article has ID 77")
	fails(t, d.cfg, ExitUsage, []string{"history"}, "accepts 1 arg")
	fails(t, d.cfg, ExitUsage, []string{"history", id, "--format", "yaml"}, "--format")
}

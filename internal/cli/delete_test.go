package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank/ranktest"
)

func TestDeleteRemovesThePostAndRecordsIt(t *testing.T) {
	d := newDesk(t, "", "", deskStory{key: "storm", section: "mexico", age: 2 * day, likes: 50})
	ctx := context.Background()
	x, fb := d.p["storm"][ranktest.XAccount], d.p["storm"][ranktest.FBAccount]
	xJob, err := d.w.Store.GetJob(ctx, x.JobID)
	if err != nil {
		t.Fatal(err)
	}

	// Off a terminal, nothing is deleted without --yes.
	fails(t, d.cfg, ExitUsage, []string{"delete", xJob.Permalink}, "not on a terminal, so nothing was asked; add --yes")
	if p, _ := d.w.X.Post(x.RemoteID); p.Deleted {
		t.Fatal("deleted without --yes")
	}

	out, _ := fails(t, d.cfg, ExitOK, []string{"delete", xJob.Permalink, "--yes"})
	if !strings.Contains(out, "Deleted x_main's post "+x.RemoteID) {
		t.Errorf("stdout:\n%s", out)
	}
	if p, ok := d.w.X.Post(x.RemoteID); !ok || !p.Deleted {
		t.Errorf("X still has post %s: %+v", x.RemoteID, p)
	}
	if n := d.w.X.Count("DELETE /2/tweets/{id}"); n != 1 {
		t.Errorf("DELETE /2/tweets/:id called %d times, want 1", n)
	}
	if j, _ := d.w.Store.GetJob(ctx, x.JobID); j.DeletedAt.IsZero() {
		t.Error("the job is not marked deleted")
	}
	// Again: already done, and the network is not asked.
	out, _ = fails(t, d.cfg, ExitOK, []string{"delete", x.RemoteID, "--yes"})
	if !strings.Contains(out, "already deleted") || d.w.X.Count("DELETE /2/tweets/{id}") != 1 {
		t.Errorf("second delete:\n%s", out)
	}

	// The Page's post by its ID, as JSON.
	out, _ = fails(t, d.cfg, ExitOK, []string{"delete", fb.RemoteID, "-y", "--format", "json"})
	var res deleteResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Account != ranktest.FBAccount || res.RemoteID != fb.RemoteID ||
		res.Title != "Story storm" {
		t.Errorf("json %q: %+v, %v", out, res, err)
	}
	if u := usingOf(t, "herald delete", out); u.Config != d.cfg || !strings.HasPrefix(u.Database, "sqlite:") {
		t.Errorf("herald delete names %+v", u)
	}
	if p, ok := d.w.Graph.Post(fb.RemoteID); !ok || !p.Deleted {
		t.Errorf("the Page still has post %s: %+v", fb.RemoteID, p)
	}
	rows, err := d.w.Store.Report(ctx, herald.ReportQuery{Since: d.now.Add(-30 * day), Until: d.now.Add(day), By: "score", Limit: 10})
	if err != nil || len(rows) != 0 {
		t.Errorf("deleted posts still rank: %+v, %v", rows, err)
	}

	fails(t, d.cfg, ExitFailure, []string{"delete", "12345", "--yes"}, "no post Herald sent has the ID or permalink 12345")
	fails(t, d.cfg, ExitUsage, []string{"delete"}, "accepts 1 arg")
}

func TestDeleteFindsAPermalinkWrittenOtherwise(t *testing.T) {
	d := newDesk(t, "", "", deskStory{key: "storm", section: "mexico", age: 2 * day, likes: 50, targets: []string{ranktest.XAccount}})
	x := d.p["storm"][ranktest.XAccount]
	fails(t, d.cfg, ExitOK, []string{"delete", "https://twitter.com/daily_news/status/" + x.RemoteID + "?s=20", "--yes"})
	if p, _ := d.w.X.Post(x.RemoteID); !p.Deleted {
		t.Error("not deleted by a twitter.com permalink")
	}
}

func TestDeleteReportsTheNetworksRefusal(t *testing.T) {
	d := newDesk(t, "", "", deskStory{key: "storm", section: "mexico", age: 2 * day, likes: 50, targets: []string{ranktest.XAccount}})
	x := d.p["storm"][ranktest.XAccount]
	emulatortest.ExpireUser(d.w.X, ranktest.XUser.ID) // the credentials are revoked
	fails(t, d.cfg, ExitFailure, []string{"delete", x.RemoteID, "--yes"}, "delete post "+x.RemoteID+" from x_main: twitter: ")
	if j, _ := d.w.Store.GetJob(context.Background(), x.JobID); !j.DeletedAt.IsZero() {
		t.Error("marked deleted although X refused")
	}
}

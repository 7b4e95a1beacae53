package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/herald"
)

// runCollect runs `herald collect`, which must read every one of the posts
// (want) and fail, lose and hold none; the Bluesky session the daemon
// created, kept in the store, is reused rather than a new one made.
func runCollect(t *testing.T, cfg string, n *fourNetworks, want int) {
	t.Helper()
	var out, errs bytes.Buffer
	if code := cli.Execute(context.Background(), []string{"--config", cfg, "collect", "--format", "json"}, &out, &errs); code != 0 {
		t.Fatalf("herald collect exited with %d: %s", code, errs.String())
	}
	var coll struct {
		Read, Failed, Gone int
		Held               []string `json:"rate_limited"`
	}
	if err := json.Unmarshal(out.Bytes(), &coll); err != nil {
		t.Fatalf("herald collect --format json: %v\n%s", err, out.String())
	}
	if coll.Read != want || coll.Failed != 0 || coll.Gone != 0 || len(coll.Held) != 0 {
		t.Errorf("herald collect: %s, want %d read and none failed, gone or held", out.String(), want)
	}
	if got := n.sky.Sessions(); got != 1 {
		t.Errorf("%d Bluesky sessions created, want 1: the session kept in the store was not reused", got)
	}
}

// wantFigures is what the report should show for a story on one network:
// shares are Mastodon reblogs and Bluesky reposts + quotes, reactions
// favourites and likes, comments replies.
func wantFigures(network herald.Network, i int) herald.Engagement {
	switch network {
	case herald.Mastodon:
		m := mastoFigures[i]
		return herald.Engagement{Shares: m.Reblogs, Reactions: m.Favourites, Comments: m.Replies}
	case herald.Bluesky:
		s := skyFigures[i]
		return herald.Engagement{Shares: s.Reposts + s.Quotes, Reactions: s.Likes, Comments: s.Replies}
	case herald.Twitter:
		x := xFigures[i]
		return herald.Engagement{Shares: x.Retweets + x.Quotes, Reactions: x.Likes, Comments: x.Replies}
	case herald.Facebook:
		f := fbFigures[i]
		return herald.Engagement{Shares: f.Shares, Reactions: f.Reactions, Comments: f.Comments}
	}
	panic("unknown network " + network)
}

// wantCounters is a story's counters on one network as the report breaks
// them down: Bluesky's quotes apart from its reposts (both are shares).
func wantCounters(network herald.Network, i int) herald.Engagement {
	e := wantFigures(network, i)
	if network == herald.Bluesky {
		e.Shares, e.Quotes = skyFigures[i].Reposts, skyFigures[i].Quotes
	}
	return e
}

// runReport runs `herald report --format json` with args and decodes it.
func runReport(t *testing.T, cfg string, args ...string) []herald.ReportRow {
	t.Helper()
	var out, errs bytes.Buffer
	args = append([]string{"--config", cfg, "report", "--format", "json"}, args...)
	if code := cli.Execute(context.Background(), args, &out, &errs); code != 0 {
		t.Fatalf("herald %v exited with %d: %s", args[2:], code, errs.String())
	}
	var rep struct{ Stories []herald.ReportRow }
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("herald %v: %v\n%s", args[2:], err, out.String())
	}
	return rep.Stories
}

// checkRows checks a ranking by shares: the stories in order of want's
// shares, each row with want's figures.
func checkRows(t *testing.T, what string, rows []herald.ReportRow, stories []cardStory, want func(i int) herald.Engagement) {
	t.Helper()
	order := make([]int, len(stories))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(want(b).Shares - want(a).Shares) })
	if len(rows) != len(stories) {
		t.Fatalf("%s: %d rows, want %d: %+v", what, len(rows), len(stories), rows)
	}
	for k, i := range order {
		r, w := rows[k], want(i)
		if r.Rank != k+1 || r.Title != stories[i].Title || r.URL != canonical(stories[i].Link) {
			t.Errorf("%s: rank %d is %d %q (%s), want %q", what, k+1, r.Rank, r.Title, r.URL, stories[i].Title)
			continue
		}
		if r.Shares != w.Shares || r.Reactions != w.Reactions || r.Comments != w.Comments {
			t.Errorf("%s: %q: shares %d, reactions %d, comments %d; want %d, %d, %d",
				what, r.Title, r.Shares, r.Reactions, r.Comments, w.Shares, w.Reactions, w.Comments)
		}
	}
}

// checkReports: `herald report --network mastodon` and `--network bluesky`
// rank by that network's figures alone, shown under "other"; the report of
// every network sums the four.
func checkReports(t *testing.T, cfg string, stories []cardStory) {
	t.Helper()
	for _, network := range []herald.Network{herald.Mastodon, herald.Bluesky} {
		rows := runReport(t, cfg, "--network", string(network))
		checkRows(t, "report --network "+string(network), rows, stories, func(i int) herald.Engagement {
			return wantFigures(network, i)
		})
		for _, r := range rows {
			i := slices.IndexFunc(stories, func(s cardStory) bool { return s.Title == r.Title })
			if i < 0 {
				continue
			}
			if len(r.Other) != 1 || r.Other[network] != wantCounters(network, i) {
				t.Errorf("report --network %s: %q: other %+v, want only %s %+v", network, r.Title, r.Other, network, wantCounters(network, i))
			}
			if r.Twitter.Retweets != 0 || r.Twitter.Likes != 0 || r.Facebook.Shares != 0 || r.Facebook.Reactions != 0 {
				t.Errorf("report --network %s: %q counts X or Facebook: %+v %+v", network, r.Title, r.Twitter, r.Facebook)
			}
		}
	}

	all := runReport(t, cfg)
	checkRows(t, "report", all, stories, func(i int) herald.Engagement {
		var sum herald.Engagement
		for _, n := range []herald.Network{herald.Twitter, herald.Facebook, herald.Mastodon, herald.Bluesky} {
			e := wantFigures(n, i)
			sum.Shares, sum.Reactions, sum.Comments = sum.Shares+e.Shares, sum.Reactions+e.Reactions, sum.Comments+e.Comments
		}
		return sum
	})
	for _, r := range all {
		if r.Other[herald.Mastodon].Shares == 0 || r.Other[herald.Bluesky].Shares == 0 || r.Twitter.Retweets == 0 || r.Facebook.Shares == 0 {
			t.Errorf("report: %q lacks a network's figures: twitter %+v facebook %+v other %+v", r.Title, r.Twitter, r.Facebook, r.Other)
		}
	}
}

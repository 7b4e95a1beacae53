package herald

import "testing"

// The ranking's totals map each network's counters the same way in every
// store: shares are retweets, quotes and shares; reactions likes and
// reactions; comments replies and comments.
func TestReportRowAddAndScore(t *testing.T) {
	var r ReportRow
	r.Add(Twitter, Engagement{Retweets: 3, Quotes: 1, Likes: 10, Replies: 2, Impressions: 500}, 4)
	r.Add(Facebook, Engagement{Shares: 5, Reactions: 7, Comments: 1}, 6)
	r.Add(Mastodon, Engagement{Shares: 2, Reactions: 1}, 0)
	if r.Shares != 11 || r.Reactions != 18 || r.Comments != 3 || r.Clicks != 10 || r.Impressions != 500 {
		t.Errorf("totals %+v", r)
	}
	if r.Twitter.Retweets != 3 || r.Twitter.Quotes != 1 || r.Facebook.Shares != 5 || r.Other[Mastodon].Shares != 2 {
		t.Errorf("per network: twitter %+v facebook %+v other %+v", r.Twitter, r.Facebook, r.Other)
	}
	if got, want := DefaultWeights.Score(r), 11*3.0+3*2.0+18*1.0+10*1.0; got != want {
		t.Errorf("score %v, want %v", got, want)
	}
}

func TestReportRowMetric(t *testing.T) {
	r := ReportRow{Score: 9.5, Shares: 1, Reactions: 2, Comments: 3, Clicks: 4, Views: 5}
	for by, want := range map[string]float64{"shares": 1, "reactions": 2, "comments": 3, "clicks": 4, "score": 9.5, "": 9.5} {
		if got := r.Metric(by); got != want {
			t.Errorf("Metric(%q) = %v, want %v", by, got, want)
		}
	}
}

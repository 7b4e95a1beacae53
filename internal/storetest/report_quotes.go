package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// quoteTests are report cases where quote posts decide the order: a story
// with few reposts but many quotes is the most shared.
var quoteTests = []test{
	{"QuotesDecideTheSharesOrder", func(t *testing.T, f *fixture) {
		at := t0.Add(-6 * time.Hour)
		pub := func(url string, ago time.Duration) herald.SaveResult {
			it := story(url, xMain)
			it.PublishedAt = t0.Add(-ago)
			return f.save(mexico, at, it)[0]
		}
		quoted := pub("https://example.com/quoted", 3*time.Hour)
		reposted := pub("https://example.com/reposted", 2*time.Hour)
		f.sendAll(at)
		read := t0.Add(-time.Hour)
		f.must(f.SaveSnapshots(f.ctx, []herald.Snapshot{
			{JobID: quoted.Jobs[0], At: read, Engagement: herald.Engagement{Retweets: 1, Quotes: 6}},
			{JobID: reposted.Jobs[0], At: read, Engagement: herald.Engagement{Retweets: 5, Likes: 40}},
		}))
		want := []int64{quoted.Article.ID, reposted.Article.ID}
		for _, q := range []herald.ReportQuery{{By: "shares"}, {By: "shares", Network: herald.Twitter}, {}} {
			rows := f.report(q)
			equalSlice(t, "report "+describe(q), articleIDs(rows), want)
			if len(rows) > 0 {
				equal(t, "shares of the quoted story", rows[0].Shares, int64(7))
			}
		}
	}},
}

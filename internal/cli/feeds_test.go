package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

func TestFeedsList(t *testing.T) {
	cfg, db := opsWorld(t, "")
	ctx := context.Background()
	claimed, err := db.ClaimSources(ctx, "test", opsT0.Add(-10*time.Minute), time.Minute, 10)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("claimed %d sources: %v", len(claimed), err)
	}
	id := map[string]int64{}
	for _, s := range claimed {
		id[s.Name] = s.ID
	}
	for _, r := range []herald.PollResult{
		{SourceID: id["world"], Status: 200, Seeded: true, PolledAt: opsT0.Add(-3 * time.Minute), NextPollAt: opsT0.Add(2 * time.Minute)},
		{SourceID: id["sports"], Status: 500, Error: "HTTP 500: Internal Server Error\nfrom the origin", Failures: 3,
			PolledAt: opsT0.Add(-10 * time.Minute), NextPollAt: opsT0.Add(4 * time.Minute)},
	} {
		if err := db.SavePoll(ctx, "test", r); err != nil {
			t.Fatal(err)
		}
	}
	saveArticles(t, db, "world", opsT0.Add(-time.Hour), nil,
		herald.ArticleInput{URL: "https://example.com/a", Title: "A"}, herald.ArticleInput{URL: "https://example.com/b", Title: "B"})
	saveArticles(t, db, "webhook", opsT0.Add(-time.Hour), nil, herald.ArticleInput{URL: "https://example.com/c", Title: "C"})

	table := ok(t, cfg, "feeds", "list")
	golden(t, "feeds-list.golden", table)
	if strings.Contains(table, "webhook") {
		t.Errorf("the push-only source is listed as a feed:\n%s", table)
	}
	out := ok(t, cfg, "feeds", "list", "--format", "json")
	golden(t, "feeds-list.json.golden", out)
	rows := jsonRows[feedRow](t, out, "feeds")
	got := byKey(rows, func(r feedRow) string { return r.Name })
	if len(rows) != 3 || got["world"].Status != feedOK || got["sports"].Status != feedFailing || got["business"].Status != feedNever ||
		rows[0].Articles != 2 || rows[1].Failures != 3 {
		t.Errorf("rows %+v", rows)
	}
	golden(t, "feeds-list.csv.golden", ok(t, cfg, "feeds", "list", "--format", "csv"))
	fails(t, cfg, ExitUsage, []string{"feeds", "list", "--format", "yaml"}, "--format")
	fails(t, cfg, ExitUsage, []string{"feeds", "list", "extra"})
}

// checkFeed is an RSS feed with what `feeds check` must show: tracking
// parameters dropped, entities decoded, a breaking category, an item too
// old to post, an item without a link, and a WebSub hub.
const checkFeed = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>The Daily &amp; Nightly</title>
  <link>https://news.example/</link>
  <atom:link rel="hub" href="https://hub.example/"/>
  <item>
    <title>Storm &lt;b&gt;hits&lt;/b&gt; the   coast</title>
    <link>https://NEWS.example/storm?utm_source=rss&amp;id=7#top</link>
    <guid isPermaLink="false">news-7</guid>
    <pubDate>Tue, 10 Mar 2026 11:30:00 GMT</pubDate>
    <category>Weather</category><category>Breaking</category>
  </item>
  <item>
    <title>Budget passes</title>
    <link>https://news.example/budget</link>
    <guid>https://news.example/budget</guid>
    <pubDate>Mon, 09 Mar 2026 09:00:00 GMT</pubDate>
    <category>Politics</category>
  </item>
  <item>
    <title>Archive piece</title>
    <link>https://news.example/archive</link>
    <pubDate>Sun, 01 Mar 2026 09:00:00 GMT</pubDate>
  </item>
  <item><title>No link at all</title></item>
</channel>
</rss>`

func TestFeedsCheck(t *testing.T) {
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(checkFeed))
		case "/page.html":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<!doctype html><html><head><title>Home</title></head><body>Hi</body></html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	cfg, _ := opsWorld(t, strings.Replace(opsConfig, "sources:\n", "sources:\n  - {name: local, url: \""+base+
		"/feed.xml\", targets: [x_main]}\n", 1)+"publish: {breaking_categories: [breaking], max_age: 48h}\nfeed: {timeout: 5s}\n")
	url := base + "/feed.xml"
	table := ok(t, cfg, "feeds", "check", url)
	golden(t, "feeds-check.golden", table)

	out := ok(t, cfg, "feeds", "check", url, "--format", "json")
	golden(t, "feeds-check.json.golden", out)
	var res struct {
		Feed  feedInfo      `json:"feed"`
		Items []feedItemRow `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Feed.Title != "The Daily & Nightly" || res.Feed.HubURL != "https://hub.example/" || res.Feed.Skipped != 1 ||
		len(res.Items) != 3 {
		t.Fatalf("%+v", res)
	}
	storm := res.Items[0]
	if storm.Title != "Storm hits the coast" || storm.URL != "https://news.example/storm?id=7" || storm.GUID != "news-7" ||
		!storm.Breaking || storm.Stale || strings.Join(storm.Categories, ",") != "Weather,Breaking" {
		t.Errorf("storm %+v", storm)
	}
	if !res.Items[2].Stale || res.Items[1].Stale {
		t.Errorf("stale flags %+v", res.Items)
	}
	golden(t, "feeds-check.csv.golden", ok(t, cfg, "feeds", "check", url, "--format", "csv"))

	// A configured source's name stands for its URL; failures are clear, exit 1.
	if byName := ok(t, cfg, "feeds", "check", "local"); byName != table {
		t.Errorf("check by source name:\n%s", byName)
	}
	fails(t, cfg, ExitFailure, []string{"feeds", "check", base + "/gone.xml"}, "404")
	fails(t, cfg, ExitFailure, []string{"feeds", "check", base + "/page.html"}, "feed: ")
	fails(t, cfg, ExitFailure, []string{"feeds", "check", "file:///nonexistent/feed.xml"}, "no such file")
	fails(t, cfg, ExitFailure, []string{"feeds", "check", "nosuch"}, `no source is named "nosuch"`)
	fails(t, cfg, ExitUsage, []string{"feeds", "check"}, "accepts 1 arg")
	fails(t, cfg, ExitUsage, []string{"feeds", "nope"}, `unknown command "nope"`)
}

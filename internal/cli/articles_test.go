package cli

import (
	"slices"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// articleTitles runs herald articles --format json with args and returns
// the titles in order.
func articleTitles(t *testing.T, cfg string, args ...string) []string {
	t.Helper()
	out := ok(t, cfg, append([]string{"articles", "--format", "json"}, args...)...)
	return pluck(jsonRows[articleRow](t, out, "articles"), func(r articleRow) string { return r.Title })
}

func TestArticles(t *testing.T) {
	cfg, db := opsWorld(t, "")
	pub := func(d time.Duration) time.Time { return opsT0.Add(-d) }
	saveArticles(t, db, "world", opsT0.Add(-2*time.Hour), nil,
		herald.ArticleInput{URL: "https://example.com/storm", GUID: "w-1", Title: "Storm hits the coast",
			Summary: "Winds of 120 km/h.", Categories: []string{"Weather", "Breaking"}, Author: "Ana Ruiz",
			ImageURL: "https://example.com/storm.jpg", PublishedAt: pub(2 * time.Hour)},
		herald.ArticleInput{URL: "https://example.com/archive", Title: "An archive piece", PublishedAt: pub(300 * time.Hour), Stale: true})
	saveArticles(t, db, "sports", opsT0.Add(-30*time.Minute), nil,
		herald.ArticleInput{URL: "https://example.com/final?id=1&x=%C3%A9", Title: "Rapids win the final, 3–1", PublishedAt: pub(40 * time.Minute)},
		// The same story carried by a second feed: one article, two sections.
		herald.ArticleInput{URL: "https://example.com/storm", Title: "Storm hits the coast", PublishedAt: pub(2 * time.Hour)})
	saveArticles(t, db, "business", opsT0.Add(-50*time.Hour), nil,
		herald.ArticleInput{URL: "https://example.com/old-budget", Title: "Budget passes", PublishedAt: pub(50 * time.Hour)})

	table := ok(t, cfg, "articles")
	golden(t, "articles.golden", table)
	golden(t, "articles.json.golden", ok(t, cfg, "articles", "--since", "7d", "--format", "json"))
	golden(t, "articles.csv.golden", ok(t, cfg, "articles", "--since", "7d", "--format", "csv"))

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"Rapids win the final, 3–1", "Storm hits the coast", "An archive piece"}},
		{[]string{"--since", "1h"}, []string{"Rapids win the final, 3–1"}},
		{[]string{"--since", "3d"}, []string{"Rapids win the final, 3–1", "Storm hits the coast", "Budget passes", "An archive piece"}},
		{[]string{"--source", "world"}, []string{"Storm hits the coast", "An archive piece"}},
		{[]string{"--source", "sports"}, []string{"Rapids win the final, 3–1", "Storm hits the coast"}},
		{[]string{"--source", "business"}, []string{}},
		{[]string{"--since", "1w", "--limit", "2"}, []string{"Rapids win the final, 3–1", "Storm hits the coast"}},
	} {
		if got := articleTitles(t, cfg, tc.args...); !slices.Equal(got, tc.want) {
			t.Errorf("articles %v = %q, want %q", tc.args, got, tc.want)
		}
	}
	if out := ok(t, cfg, "articles", "--source", "business"); out != "No article was first seen in the last 24h in business.\n" {
		t.Errorf("empty: %q", out)
	}
	refusesUsage(t, cfg, "articles", []usageCase{
		{[]string{"--since", "yesterday"}, "--since"},
		{[]string{"--since", "-2h"}, "--since"},
		{[]string{"--limit", "-1"}, "--limit"},
		{[]string{"--limit", "many"}, "--limit"},
		{[]string{"--format", "xml"}, "--format"},
	})
	// A source that does not exist is "not found": exit 1.
	fails(t, cfg, ExitFailure, []string{"articles", "--source", "weather"}, `--source: no source is named "weather"`)
}

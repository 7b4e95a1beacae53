package feed

import (
	"context"
	"fmt"
	"strings"

	"github.com/heraldhq/herald/internal/herald"
)

// Check fetches and parses a feed once, without a store, and returns its items
// as Herald would record them (canonical URL, plain-text title and summary,
// categories, image, publication time; priority from
// opts.BreakingCategories, Stale when older than opts.MaxAge; Announce
// unset) and what the feed says about itself. It is `herald feeds check URL`.
func Check(ctx context.Context, url string, opts Options) ([]herald.ArticleInput, FeedInfo, error) {
	opts = opts.withDefaults()
	resp, err := Fetch(ctx, newClients(opts).forURL(ctx, url), Request{
		URL: url, UserAgent: opts.UserAgent, Timeout: opts.Timeout, MaxBody: opts.MaxBody,
	})
	if err != nil {
		return nil, FeedInfo{}, fmt.Errorf("feed: %w", err)
	}
	f, info, err := parse(resp.Body, resp.ContentType)
	if err != nil {
		return nil, info, fmt.Errorf("feed: %s: %w", herald.RedactURL(url), err)
	}
	breaking := make(map[string]bool, len(opts.BreakingCategories))
	for _, c := range opts.BreakingCategories {
		breaking[strings.ToLower(strings.TrimSpace(c))] = true
	}
	now := opts.Now()
	items, skipped := newMapper(f, resp.URL, now, breaking, nil).items(f)
	info.Skipped = len(skipped)
	for i := range items {
		items[i].Stale = !items[i].PublishedAt.IsZero() && items[i].PublishedAt.Before(now.Add(-opts.MaxAge))
	}
	return items, info, nil
}

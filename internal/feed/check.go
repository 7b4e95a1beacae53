package feed

import (
	"context"
	"fmt"

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
	now := opts.Now()
	items, skipped := newMapper(f, resp.URL, now).items(f)
	info.Skipped = len(skipped)
	herald.IntakeRules{Breaking: opts.BreakingCategories, MaxAge: opts.MaxAge}.Prepare(items, now)
	for i := range items {
		items[i].Announce = false
	}
	return items, info, nil
}

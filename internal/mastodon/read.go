package mastodon

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

const (
	// findPageSize is the most statuses Mastodon lists per page; findMaxPages
	// bounds reconciliation (an account posts a few times an hour).
	findPageSize = 40
	findMaxPages = 4
	// sinceSlack allows for clock skew between Herald and the server.
	sinceSlack = 2 * time.Minute
)

// FindPost looks among the account's own statuses made since (less a little
// slack), newest first, for one whose card or text links to link. Mastodon
// shortens links in the shown text, so the anchors' href are compared.
func (c *Client) FindPost(ctx context.Context, link string, since time.Time) (herald.Receipt, bool, int, error) {
	self, err := c.selfID(ctx, herald.OpFind)
	if err != nil {
		return herald.Receipt{}, false, 0, err
	}
	// Replies stay: a post of a thread is reconciled too.
	q := url.Values{"limit": {strconv.Itoa(findPageSize)}, "exclude_reblogs": {"true"}}
	reads := 0
	for range findMaxPages {
		var page []status
		if _, err := c.do(ctx, request{op: herald.OpFind, method: http.MethodGet,
			path: "/api/v1/accounts/" + url.PathEscape(self) + "/statuses", query: q}, &page); err != nil {
			return herald.Receipt{}, false, reads, err
		}
		reads += len(page)
		older := false
		for _, s := range page {
			r := s.receipt()
			if !r.At.IsZero() && r.At.Before(since.Add(-sinceSlack)) {
				older = true
				break
			}
			if s.Reblog == nil && linksTo(s, link) {
				return r, true, reads, nil
			}
		}
		if older || len(page) < findPageSize {
			break
		}
		q.Set("max_id", page[len(page)-1].ID)
	}
	return herald.Receipt{}, false, reads, nil
}

var hrefRE = regexp.MustCompile(`href="([^"]*)"`)

// linksTo reports whether a status's card or one of its links is link.
func linksTo(s status, link string) bool {
	if s.Card != nil && herald.SameLink(s.Card.URL, link) {
		return true
	}
	for _, m := range hrefRE.FindAllStringSubmatch(s.Content, -1) {
		if herald.SameLink(html.UnescapeString(m[1]), link) {
			return true
		}
	}
	return false
}

// Engagement reads each status's counters with GET /api/v1/statuses/:id:
// reblogs as shares, favourites as reactions, replies as comments. A status
// that is gone (404, 410) is listed in gone.
func (c *Client) Engagement(ctx context.Context, remoteIDs []string) (map[string]herald.Engagement, []string, error) {
	counts := make(map[string]herald.Engagement, len(remoteIDs))
	var gone []string
	for _, id := range remoteIDs {
		if !validID(id) {
			gone = append(gone, id)
			continue
		}
		var s status
		_, err := c.do(ctx, request{op: herald.OpEngagement, method: http.MethodGet, path: "/api/v1/statuses/" + id}, &s)
		if isNotFound(err) {
			gone = append(gone, id)
			continue
		}
		if err != nil {
			return counts, gone, err
		}
		counts[id] = herald.Engagement{Shares: s.ReblogsCount, Reactions: s.FavouritesCount, Comments: s.RepliesCount}
	}
	return counts, gone, nil
}

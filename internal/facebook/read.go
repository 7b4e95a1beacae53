package facebook

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	fb "github.com/huandu/facebook/v2"

	"github.com/heraldhq/herald/internal/herald"
)

const (
	// findPageSize and findMaxPages bound reconciliation: a Page posts a few
	// times an hour, so the link is in the first page or two after since.
	findPageSize = 25
	findMaxPages = 4
	// maxIDs is how many ids Graph accepts in one ?ids= request.
	maxIDs = 50
	// sinceSlack allows for clock skew between Herald and Facebook.
	sinceSlack = 2 * time.Minute

	engagementFields = "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
)

// findFields asks for a Page post's attachment rather than its link field,
// which the Post reference deprecates on Page posts since v3.3 (Graph
// answers it with error 12). unshimmed_url is the link as posted; url and
// target.url are Facebook's l.facebook.com redirect to it.
const findFields = "id,message,created_time,attachments{unshimmed_url,url,target{url}}"

type listedPost struct {
	ID          string `json:"id"`
	Message     string `json:"message"`
	CreatedTime string `json:"created_time"`
	Attachments struct {
		Data []struct {
			UnshimmedURL string `json:"unshimmed_url"`
			URL          string `json:"url"`
			Target       struct {
				URL string `json:"url"`
			} `json:"target"`
		} `json:"data"`
	} `json:"attachments"`
}

// links returns the links a post carries: each attachment's unshimmed URL
// and the destination of its l.facebook.com redirects.
func (p listedPost) links() []string {
	var out []string
	for _, a := range p.Attachments.Data {
		for _, u := range []string{a.UnshimmedURL, unshim(a.URL), unshim(a.Target.URL)} {
			if u != "" {
				out = append(out, u)
			}
		}
	}
	return out
}

// unshim returns the destination of a Facebook link redirect
// (https://l.facebook.com/l.php?u=...), or raw itself.
func unshim(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if h := strings.ToLower(u.Hostname()); (h == "l.facebook.com" || h == "lm.facebook.com") && u.Path == "/l.php" {
		return u.Query().Get("u")
	}
	return raw
}

type postList struct {
	Data   []listedPost `json:"data"`
	Paging struct {
		Cursors struct {
			After string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

// FindPost looks among the Page's posts created since (less a little slack)
// for one whose link is link. Reads are not billed on Facebook but are
// counted all the same.
func (c *Client) FindPost(ctx context.Context, link string, since time.Time) (herald.Receipt, bool, int, error) {
	params := fb.Params{
		"fields": findFields,
		"since":  since.Add(-sinceSlack).Unix(),
		"limit":  findPageSize,
	}
	reads := 0
	for range findMaxPages {
		res, call, err := c.call(ctx, c.page, fb.GET, "/"+c.cfg.PageID+"/posts", params)
		if err != nil {
			return herald.Receipt{}, false, reads, c.classify(herald.OpFind, call, err)
		}
		var list postList
		if err := res.Decode(&list); err != nil {
			return herald.Receipt{}, false, reads, c.classify(herald.OpFind, call, err)
		}
		reads += len(list.Data)
		for _, p := range list.Data {
			if p.ID != "" && slices.ContainsFunc(p.links(), func(l string) bool { return herald.SameLink(l, link) }) {
				return herald.Receipt{RemoteID: p.ID, Permalink: Permalink(p.ID), At: parseGraphTime(p.CreatedTime)}, true, reads, nil
			}
		}
		if list.Paging.Next == "" || list.Paging.Cursors.After == "" {
			break
		}
		params = fb.Params{"fields": params["fields"], "since": params["since"], "limit": findPageSize,
			"after": list.Paging.Cursors.After}
	}
	return herald.Receipt{}, false, reads, nil
}

// parseGraphTime reads Graph's "2006-01-02T15:04:05+0000" (or RFC 3339).
func parseGraphTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

type engagementNode struct {
	Shares struct {
		Count int64 `json:"count"`
	} `json:"shares"`
	Reactions struct {
		Summary struct {
			TotalCount int64 `json:"total_count"`
		} `json:"summary"`
	} `json:"reactions"`
	Comments struct {
		Summary struct {
			TotalCount int64 `json:"total_count"`
		} `json:"summary"`
	} `json:"comments"`
}

func (n engagementNode) engagement() herald.Engagement {
	return herald.Engagement{Shares: n.Shares.Count, Reactions: n.Reactions.Summary.TotalCount,
		Comments: n.Comments.Summary.TotalCount}
}

// Engagement reads shares, reactions and comments in batches of 50 ids.
// Graph fails a whole ?ids= request when one id no longer exists and names
// them; those are reported gone and the rest asked for again.
func (c *Client) Engagement(ctx context.Context, remoteIDs []string) (map[string]herald.Engagement, []string, error) {
	counts := make(map[string]herald.Engagement, len(remoteIDs))
	var gone []string
	for batch := range slices.Chunk(remoteIDs, maxIDs) {
		g, err := c.engagementBatch(ctx, batch, counts)
		gone = append(gone, g...)
		if err != nil {
			return counts, gone, err
		}
	}
	return counts, gone, nil
}

func (c *Client) engagementBatch(ctx context.Context, batch []string, counts map[string]herald.Engagement) ([]string, error) {
	var gone []string
	// Each round either succeeds or removes at least one id, so it ends.
	for len(batch) > 0 {
		res, call, err := c.call(ctx, c.page, fb.GET, "/", fb.Params{"ids": strings.Join(batch, ","), "fields": engagementFields})
		if err == nil {
			for _, id := range batch {
				var n engagementNode
				if err := res.DecodeField(id, &n); err != nil {
					return gone, c.classify(herald.OpEngagement, call, err)
				}
				counts[id] = n.engagement()
			}
			return gone, nil
		}
		missing := missingIDs(err)
		rest := slices.DeleteFunc(slices.Clone(batch), func(id string) bool { return slices.Contains(missing, id) })
		if len(rest) == len(batch) {
			if len(missing) > 0 || isGone(err) {
				g, err := c.engagementOneByOne(ctx, batch, counts)
				return append(gone, g...), err
			}
			return gone, c.classify(herald.OpEngagement, call, err)
		}
		for _, id := range batch {
			if slices.Contains(missing, id) {
				gone = append(gone, id)
			}
		}
		batch = rest
	}
	return gone, nil
}

// engagementOneByOne reads each id on its own: the fallback when Graph says
// some ids do not exist without naming them.
func (c *Client) engagementOneByOne(ctx context.Context, ids []string, counts map[string]herald.Engagement) ([]string, error) {
	var gone []string
	for _, id := range ids {
		res, call, err := c.call(ctx, c.page, fb.GET, "/"+url.PathEscape(id), fb.Params{"fields": engagementFields})
		if isGone(err) {
			gone = append(gone, id)
			continue
		}
		var n engagementNode
		if err == nil {
			err = res.Decode(&n)
		}
		if err != nil {
			return gone, c.classify(herald.OpEngagement, call, err)
		}
		counts[id] = n.engagement()
	}
	return gone, nil
}

var aliasesRE = regexp.MustCompile(`do not exist: ?(.+)$`)

// missingIDs reads the ids out of "(#100) Some of the aliases you requested
// do not exist: a,b".
func missingIDs(err error) []string {
	var fe *fb.Error
	if !errors.As(err, &fe) || fe.Code != 100 {
		return nil
	}
	m := aliasesRE.FindStringSubmatch(fe.Message)
	if m == nil {
		return nil
	}
	var ids []string
	for id := range strings.SplitSeq(m[1], ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

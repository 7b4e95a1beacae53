package bluesky

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

const (
	// maxURIs is how many posts getPosts reads at once.
	maxURIs = 25
	// findPageSize and findMaxPages bound reconciliation.
	findPageSize = 50
	findMaxPages = 4
	// sinceSlack allows for clock skew between Herald and the PDS.
	sinceSlack = 2 * time.Minute
)

// postView is the part of app.bsky.feed.defs#postView Herald reads.
type postView struct {
	URI    string `json:"uri"`
	CID    string `json:"cid"`
	Author struct {
		DID    string `json:"did"`
		Handle string `json:"handle"`
	} `json:"author"`
	Record struct {
		CreatedAt string    `json:"createdAt"`
		Facets    []facet   `json:"facets"`
		Embed     *external `json:"embed"`
		Reply     *replyRef `json:"reply"`
	} `json:"record"`
	Embed *struct {
		External *struct {
			URI string `json:"uri"`
		} `json:"external"`
	} `json:"embed"`
	ReplyCount  int64  `json:"replyCount"`
	RepostCount int64  `json:"repostCount"`
	LikeCount   int64  `json:"likeCount"`
	QuoteCount  int64  `json:"quoteCount"`
	IndexedAt   string `json:"indexedAt"`
}

// Engagement reads likes (reactions), reposts and quotes (shares) and
// replies (comments) with getPosts, 25 posts a call. Posts the AppView no
// longer returns are listed in gone.
func (c *Client) Engagement(ctx context.Context, remoteIDs []string) (map[string]herald.Engagement, []string, error) {
	counts := make(map[string]herald.Engagement, len(remoteIDs))
	var gone, valid []string
	for _, id := range remoteIDs {
		if _, _, ok := parseURI(id); ok {
			valid = append(valid, id)
		} else {
			gone = append(gone, id)
		}
	}
	for batch := range slices.Chunk(valid, maxURIs) {
		var out struct {
			Posts []postView `json:"posts"`
		}
		if _, err := c.authed(ctx, xcall{op: herald.OpEngagement, method: http.MethodGet, nsid: "app.bsky.feed.getPosts",
			query: url.Values{"uris": batch}}, &out); err != nil {
			return counts, gone, err
		}
		for _, p := range out.Posts {
			// Quotes count among the shares in every total, as X's do, and
			// are also kept apart for the report's Bluesky columns.
			counts[p.URI] = herald.Engagement{Reactions: p.LikeCount, Shares: p.RepostCount, Quotes: p.QuoteCount,
				Comments: p.ReplyCount}
		}
		for _, id := range batch {
			if _, ok := counts[id]; !ok {
				gone = append(gone, id)
			}
		}
	}
	return counts, gone, nil
}

// FindPost looks among the account's own posts made since (less a little
// slack), newest first, for one whose card or a link facet points at link.
func (c *Client) FindPost(ctx context.Context, link string, since time.Time) (herald.Receipt, bool, int, error) {
	s, err := c.session(ctx, herald.OpFind)
	if err != nil {
		return herald.Receipt{}, false, 0, err
	}
	q := url.Values{"actor": {s.did}, "limit": {strconv.Itoa(findPageSize)}, "filter": {"posts_and_author_threads"}}
	reads := 0
	for range findMaxPages {
		var out struct {
			Feed []struct {
				Post postView `json:"post"`
			} `json:"feed"`
			Cursor string `json:"cursor"`
		}
		if _, err := c.authed(ctx, xcall{op: herald.OpFind, method: http.MethodGet, nsid: "app.bsky.feed.getAuthorFeed", query: q}, &out); err != nil {
			return herald.Receipt{}, false, reads, err
		}
		reads += len(out.Feed)
		for _, item := range out.Feed {
			p := item.Post
			at := postTime(p)
			if p.Author.DID != s.did {
				continue // a repost of someone else's post
			}
			if !at.IsZero() && at.Before(since.Add(-sinceSlack)) {
				return herald.Receipt{}, false, reads, nil
			}
			if pointsAt(p, link) {
				return herald.Receipt{RemoteID: p.URI, Permalink: c.permalink(p.URI), At: at}, true, reads, nil
			}
		}
		if out.Cursor == "" || len(out.Feed) == 0 {
			break
		}
		q.Set("cursor", out.Cursor)
	}
	return herald.Receipt{}, false, reads, nil
}

func postTime(p postView) time.Time {
	for _, v := range []string{p.Record.CreatedAt, p.IndexedAt} {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

// pointsAt reports whether a post's card or one of its link facets is link.
func pointsAt(p postView, link string) bool {
	if p.Embed != nil && p.Embed.External != nil && p.Embed.External.URI == link {
		return true
	}
	if e := p.Record.Embed; e != nil && e.External.URI == link {
		return true
	}
	for _, f := range p.Record.Facets {
		for _, ft := range f.Features {
			if ft.URI == link {
				return true
			}
		}
	}
	return false
}

// thumb fetches the article's image (at most MaxImageBytes) and uploads it
// as a blob for the card.
func (c *Client) thumb(ctx context.Context, imageURL string) (*blob, error) {
	u, err := url.Parse(imageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("image url %q is not http(s)", imageURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, imageURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "image/*")
	resp, err := c.img.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch image: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch image: HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxImageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch image: %w", err)
	}
	if int64(len(data)) > c.cfg.MaxImageBytes {
		return nil, fmt.Errorf("image is larger than %d bytes", c.cfg.MaxImageBytes)
	}
	mime := http.DetectContentType(data)
	if !strings.HasPrefix(mime, "image/") {
		return nil, fmt.Errorf("image url serves %s, not an image", mime)
	}
	var out struct {
		Blob *blob `json:"blob"`
	}
	if _, err := c.authed(ctx, xcall{op: opUpload, method: http.MethodPost, nsid: "com.atproto.repo.uploadBlob",
		raw: data, contentType: mime}, &out); err != nil {
		return nil, err
	}
	if out.Blob == nil || out.Blob.Ref.Link == "" {
		return nil, errors.New("uploadBlob answered without a blob")
	}
	return out.Blob, nil
}

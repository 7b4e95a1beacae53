package twitter

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/httpjson"
)

// answer is a 2xx answer of the v2 API.
type answer struct {
	header http.Header
	body   []byte
}

// do makes one v2 call and classifies any failure. write marks a call that
// creates a post. With OAuth 2.0 the token is made valid first, with ctx, and
// a 401 gets one retry with a fresh token (a 401 means nothing was done).
func (c *Client) do(ctx context.Context, op, method, path string, q url.Values, in any, write bool) (answer, error) {
	for attempt := 0; ; attempt++ {
		if c.tokens != nil {
			if _, err := c.tokens.token(ctx, attempt > 0, refreshEarly); err != nil {
				return answer{}, err
			}
		}
		a, err := c.send(ctx, op, method, path, q, in, write)
		var he *herald.Error
		if c.tokens != nil && attempt == 0 && errors.As(err, &he) && he.Status == http.StatusUnauthorized {
			c.log.Warn("access token refused; refreshing once", "op", op)
			continue
		}
		return a, err
	}
}

func (c *Client) send(ctx context.Context, op, method, path string, q url.Values, in any, write bool) (answer, error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = ""
	a, err := httpjson.Do(ctx, c.http, httpjson.Request{Method: method, URL: &u, Query: q, JSON: in})
	var se *httpjson.SendError
	switch {
	case errors.Is(err, httpjson.ErrBuild):
		return answer{}, &herald.Error{Kind: herald.ErrPermanent, Network: herald.Twitter, Op: op, Message: err.Error(), Err: err}
	case errors.As(err, &se):
		// No answer after the request was written, or a created post whose
		// answer broke off: it may exist, its id is lost.
		acted := se.Status == 0 || (se.Status >= 200 && se.Status <= 299)
		return answer{}, transportError(op, se.Err, se.Written, write && acted)
	case err != nil:
		return answer{}, transportError(op, err, false, write)
	case !a.OK():
		return answer{}, classify(op, a.Status, a.Header, parseAPIError(a.Body), write)
	}
	return answer{header: a.Header, body: a.Body}, nil
}

// Publish sends one post with POST /2/tweets (or v1.1 statuses/update).
func (c *Client) Publish(ctx context.Context, m herald.Message) (herald.Receipt, error) {
	if c.v11 != nil {
		return c.publishV11(ctx, m)
	}
	body := map[string]any{"text": m.Text}
	if m.ReplyTo != "" {
		body["reply"] = map[string]string{"in_reply_to_tweet_id": m.ReplyTo}
	}
	a, err := c.do(ctx, herald.OpPublish, http.MethodPost, "/2/tweets", nil, body, true)
	if err != nil {
		return herald.Receipt{}, err
	}
	var out struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if json.Unmarshal(a.body, &out) != nil || out.Data.ID == "" {
		// X said 2xx: the post most likely exists, but without its id.
		return herald.Receipt{}, &herald.Error{Kind: herald.ErrUnknownOutcome, Network: herald.Twitter,
			Op: herald.OpPublish, Status: http.StatusCreated, Message: "answer without a post id"}
	}
	c.knowHandle(ctx)
	return herald.Receipt{
		RemoteID: out.Data.ID, Permalink: c.permalink(out.Data.ID), At: time.Now(), Limits: limits(a.header),
	}, nil
}

// v2Post is a post as GET /2/users/:id/tweets returns it.
type v2Post struct {
	ID        string    `json:"id"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
	Entities  struct {
		URLs []struct {
			URL         string `json:"url"`
			ExpandedURL string `json:"expanded_url"`
		} `json:"urls"`
	} `json:"entities"`
}

// The Post fields parameter of GET /2/tweets and GET /2/users/:id/tweets.
// X's documentation of the live API (docs.x.com/x-api/fundamentals/fields)
// and OpenAPI v2.159 call it "tweet.fields", which Herald sends; OpenAPI
// v2.167 calls it "post.fields". Should X answer that tweet.fields is not
// one of its parameters, the client switches to post.fields for good.
const (
	tweetFieldsParam = "tweet.fields"
	postFieldsParam  = "post.fields"
)

// fieldsParam is the name the client currently sends the Post fields under.
func (c *Client) fieldsParam() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.postFields {
		return postFieldsParam
	}
	return tweetFieldsParam
}

// read makes a GET whose query carries the Post fields (fields), under the
// name X takes: when X refuses tweet.fields as undeclared, once more with
// post.fields, which is then kept.
func (c *Client) read(ctx context.Context, op, path string, q url.Values, fields string) (answer, error) {
	name := c.fieldsParam()
	q.Set(name, fields)
	a, err := c.do(ctx, op, http.MethodGet, path, q, nil, false)
	var he *herald.Error
	if name == tweetFieldsParam && errors.As(err, &he) && he.Status == http.StatusBadRequest &&
		strings.Contains(he.Message, "query parameter ["+tweetFieldsParam+"] is not one of") {
		c.log.Warn("X refuses tweet.fields; using post.fields from now on", "op", op)
		c.mu.Lock()
		c.postFields = true
		c.mu.Unlock()
		q.Del(tweetFieldsParam)
		q.Set(postFieldsParam, fields)
		return c.do(ctx, op, http.MethodGet, path, q, nil, false)
	}
	return a, err
}

// reconcileSkew is how far before since the search starts, for clock skew
// between this host and X.
const reconcileSkew = time.Minute

// findPages are the page sizes FindPost asks for in turn: few posts first,
// since every post read is billed.
var findPages = []int{5, 20, 100, 100}

// FindPost looks for a post of this account made at or after since that
// carries link: GET /2/users/:id/tweets with expanded URLs.
func (c *Client) FindPost(ctx context.Context, link string, since time.Time) (herald.Receipt, bool, int, error) {
	if c.v11 != nil {
		return c.findPostV11(ctx, link, since)
	}
	uid, err := c.accountID(ctx)
	if err != nil {
		return herald.Receipt{}, false, 0, err
	}
	reads, next := 0, ""
	for _, size := range findPages {
		q := url.Values{
			"max_results": {strconv.Itoa(size)},
			"start_time":  {since.Add(-reconcileSkew).UTC().Truncate(time.Second).Format(time.RFC3339)},
			// Replies stay: a post of a thread is reconciled too.
			"exclude": {"retweets"},
		}
		if next != "" {
			q.Set("pagination_token", next)
		}
		a, err := c.read(ctx, herald.OpFind, "/2/users/"+url.PathEscape(uid)+"/tweets", q, "created_at,entities")
		if err != nil {
			return herald.Receipt{}, false, reads, err
		}
		var page struct {
			Data []v2Post `json:"data"`
			Meta struct {
				NextToken string `json:"next_token"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(a.body, &page); err != nil {
			return herald.Receipt{}, false, reads, badAnswer(herald.OpFind, err)
		}
		reads += len(page.Data)
		for _, p := range page.Data {
			urls := []string{p.Text}
			for _, u := range p.Entities.URLs {
				urls = append(urls, u.ExpandedURL)
			}
			if carries(urls, link) {
				c.knowHandle(ctx)
				return herald.Receipt{RemoteID: p.ID, Permalink: c.permalink(p.ID), At: p.CreatedAt}, true, reads, nil
			}
		}
		if page.Meta.NextToken == "" {
			break
		}
		next = page.Meta.NextToken
	}
	return herald.Receipt{}, false, reads, nil
}

// carries reports whether any of the expanded URLs is link (a trailing slash
// aside), or the post text contains it verbatim (the first entry).
func carries(urls []string, link string) bool {
	want := strings.TrimSuffix(link, "/")
	if want == "" {
		return false
	}
	for i, u := range urls {
		if i == 0 {
			if strings.Contains(u, link) {
				return true
			}
			continue
		}
		if strings.TrimSuffix(u, "/") == want {
			return true
		}
	}
	return false
}

// Engagement reads public_metrics with GET /2/tweets?ids= in batches of 100;
// posts X reports as not found are gone.
func (c *Client) Engagement(ctx context.Context, ids []string) (map[string]herald.Engagement, []string, error) {
	if c.v11 != nil {
		return c.engagementV11(ctx, ids)
	}
	counts := map[string]herald.Engagement{}
	var gone []string
	for batch := range batches(ids, 100) {
		q := url.Values{"ids": {strings.Join(batch, ",")}}
		a, err := c.read(ctx, herald.OpEngagement, "/2/tweets", q, "public_metrics")
		if err != nil {
			return counts, gone, err
		}
		var page struct {
			Data []struct {
				ID string `json:"id"`
				M  struct {
					Retweets    int64 `json:"retweet_count"`
					Replies     int64 `json:"reply_count"`
					Likes       int64 `json:"like_count"`
					Quotes      int64 `json:"quote_count"`
					Bookmarks   int64 `json:"bookmark_count"`
					Impressions int64 `json:"impression_count"`
				} `json:"public_metrics"`
			} `json:"data"`
			Errors []struct {
				Type       string `json:"type"`
				ResourceID string `json:"resource_id"`
				Value      string `json:"value"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(a.body, &page); err != nil {
			return counts, gone, badAnswer(herald.OpEngagement, err)
		}
		for _, d := range page.Data {
			counts[d.ID] = herald.Engagement{Retweets: d.M.Retweets, Quotes: d.M.Quotes, Likes: d.M.Likes,
				Replies: d.M.Replies, Impressions: d.M.Impressions, Bookmarks: d.M.Bookmarks}
		}
		for _, e := range page.Errors {
			if strings.HasSuffix(e.Type, "/resource-not-found") {
				id := e.ResourceID
				if id == "" {
					id = e.Value
				}
				gone = append(gone, id)
			}
		}
	}
	return counts, gone, nil
}

// Delete removes a post with DELETE /2/tweets/:id; a post already gone is
// not an error.
func (c *Client) Delete(ctx context.Context, id string) error {
	if c.v11 != nil {
		return c.deleteV11(ctx, id)
	}
	_, err := c.do(ctx, herald.OpDelete, http.MethodDelete, "/2/tweets/"+url.PathEscape(id), nil, nil, false)
	var he *herald.Error
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// Check calls GET /2/users/me (v1.1: account/verify_credentials) and
// remembers the account's id and handle.
func (c *Client) Check(ctx context.Context) (herald.Identity, error) {
	if c.v11 != nil {
		return c.checkV11(ctx)
	}
	a, err := c.do(ctx, herald.OpCheck, http.MethodGet, "/2/users/me", nil, nil, false)
	if err != nil {
		return herald.Identity{}, c.explainAuth(ctx, err)
	}
	var me struct {
		Data struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &me); err != nil || me.Data.ID == "" {
		return herald.Identity{}, badAnswer(herald.OpCheck, err)
	}
	c.setIdentity(me.Data.ID, me.Data.Username)
	return herald.Identity{ID: me.Data.ID, Name: "@" + me.Data.Username}, nil
}

// badAnswer is a 2xx answer that does not parse: X's side, worth a retry.
func badAnswer(op string, err error) *herald.Error {
	msg := "unexpected answer"
	if err != nil {
		msg += ": " + err.Error()
	}
	return &herald.Error{Kind: herald.ErrRetryable, Network: herald.Twitter, Op: op, Message: msg, Err: err}
}

// batches yields ids in slices of at most n, skipping empty ones.
func batches(ids []string, n int) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		var b []string
		for _, id := range ids {
			if id == "" {
				continue
			}
			b = append(b, id)
			if len(b) == n {
				if !yield(b) {
					return
				}
				b = nil
			}
		}
		if len(b) > 0 {
			yield(b)
		}
	}
}

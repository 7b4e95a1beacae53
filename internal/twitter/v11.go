package twitter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	gotwitter "github.com/dghubble/go-twitter/twitter"

	"github.com/heraldhq/herald/internal/herald"
)

// rewriteHost sends go-twitter's requests, hard-coded to
// https://api.twitter.com/1.1/, to the configured host. It sits outside the
// OAuth 1.0a transport, so the signature covers the URL actually requested;
// inside it, X would see a signature made for another host. It also gives
// the request the call's context, which go-twitter has no way to pass.
type rewriteHost struct {
	base *url.URL
	ctx  context.Context
	next http.RoundTripper
}

func (t *rewriteHost) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(t.ctx)
	r2.URL.Scheme, r2.URL.Host, r2.Host = t.base.Scheme, t.base.Host, t.base.Host
	r2.URL.Path = t.base.Path + r.URL.Path
	if r.URL.RawPath != "" {
		r2.URL.RawPath = t.base.Path + r.URL.RawPath
	}
	return t.next.RoundTrip(r2)
}

// api returns a go-twitter client bound to ctx (with the HTTP timeout) and a
// flag set once a request has been written.
func (c *Client) api(ctx context.Context) (*gotwitter.Client, *atomic.Bool, context.CancelFunc) {
	wrote := new(atomic.Bool)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(wrote.Load() || i.Err == nil) },
	})
	hc := &http.Client{Transport: &rewriteHost{base: c.base, ctx: ctx, next: c.v11}}
	return gotwitter.NewClient(hc), wrote, cancel
}

// v11Error classifies a go-twitter result. go-twitter returns a nil error for
// a non-2xx answer without an "errors" array, so the status decides first.
func v11Error(op string, resp *http.Response, err error, wrote, write bool) error {
	if resp != nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		var ae apiError
		var te gotwitter.APIError
		if errors.As(err, &te) && !te.Empty() {
			ae = apiError{Code: te.Errors[0].Code, Message: te.Errors[0].Message}
		}
		return classify(op, resp.StatusCode, resp.Header, ae, write)
	}
	switch {
	case err == nil:
		return nil
	case resp == nil:
		return transportError(op, err, wrote, write)
	case write:
		// 2xx whose body broke off or did not decode: the post exists.
		return &herald.Error{Kind: herald.ErrUnknownOutcome, Network: herald.Twitter, Op: op,
			Status: resp.StatusCode, Message: "unreadable answer: " + err.Error(), Err: err}
	}
	return badAnswer(op, err)
}

func (c *Client) publishV11(ctx context.Context, m herald.Message) (herald.Receipt, error) {
	api, wrote, cancel := c.api(ctx)
	defer cancel()
	var params *gotwitter.StatusUpdateParams
	if m.ReplyTo != "" {
		id, err := strconv.ParseInt(m.ReplyTo, 10, 64)
		if err != nil {
			return herald.Receipt{}, &herald.Error{Kind: herald.ErrPermanent, Network: herald.Twitter,
				Op: herald.OpPublish, Message: fmt.Sprintf("invalid post id to reply to %q", m.ReplyTo)}
		}
		params = &gotwitter.StatusUpdateParams{InReplyToStatusID: id}
	}
	tw, resp, err := api.Statuses.Update(m.Text, params)
	if err := v11Error(herald.OpPublish, resp, err, wrote.Load(), true); err != nil {
		return herald.Receipt{}, err
	}
	if tw == nil || tw.IDStr == "" {
		return herald.Receipt{}, &herald.Error{Kind: herald.ErrUnknownOutcome, Network: herald.Twitter,
			Op: herald.OpPublish, Status: resp.StatusCode, Message: "answer without a status id"}
	}
	if tw.User != nil {
		c.setIdentity(tw.User.IDStr, tw.User.ScreenName)
	}
	at, err := tw.CreatedAtTime()
	if err != nil {
		at = time.Now()
	}
	return herald.Receipt{RemoteID: tw.IDStr, Permalink: c.permalink(tw.IDStr), At: at, Limits: limits(resp.Header)}, nil
}

// findPostV11 pages back through statuses/user_timeline until posts are
// older than since.
func (c *Client) findPostV11(ctx context.Context, link string, since time.Time) (herald.Receipt, bool, int, error) {
	api, wrote, cancel := c.api(ctx)
	defer cancel()
	cutoff := since.Add(-reconcileSkew)
	var maxID int64
	reads := 0
	for _, size := range findPages {
		tweets, resp, err := api.Timelines.UserTimeline(&gotwitter.UserTimelineParams{
			Count: size, MaxID: maxID, ExcludeReplies: gotwitter.Bool(true), IncludeRetweets: gotwitter.Bool(false),
		})
		if err := v11Error(herald.OpFind, resp, err, wrote.Load(), false); err != nil {
			return herald.Receipt{}, false, reads, err
		}
		reads += len(tweets)
		older := false
		for _, t := range tweets {
			created, _ := t.CreatedAtTime()
			if created.Before(cutoff) {
				older = true
				continue
			}
			urls := []string{t.Text}
			if t.Entities != nil {
				for _, u := range t.Entities.Urls {
					urls = append(urls, u.ExpandedURL)
				}
			}
			if carries(urls, link) {
				if t.User != nil {
					c.setIdentity(t.User.IDStr, t.User.ScreenName)
				}
				return herald.Receipt{RemoteID: t.IDStr, Permalink: c.permalink(t.IDStr), At: created}, true, reads, nil
			}
		}
		if older || len(tweets) < size {
			break
		}
		maxID = tweets[len(tweets)-1].ID - 1
	}
	return herald.Receipt{}, false, reads, nil
}

// engagementV11 reads counters with statuses/lookup; ids it leaves out are gone.
func (c *Client) engagementV11(ctx context.Context, ids []string) (map[string]herald.Engagement, []string, error) {
	api, wrote, cancel := c.api(ctx)
	defer cancel()
	counts := map[string]herald.Engagement{}
	var gone []string
	for batch := range batches(ids, 100) {
		var nums []int64
		var asked []string
		for _, id := range batch {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				gone = append(gone, id) // no X post has such an id
				continue
			}
			nums, asked = append(nums, n), append(asked, id)
		}
		if len(nums) == 0 {
			continue
		}
		tweets, resp, err := api.Statuses.Lookup(nums, &gotwitter.StatusLookupParams{
			TrimUser: gotwitter.Bool(true), IncludeEntities: gotwitter.Bool(false),
		})
		if err := v11Error(herald.OpEngagement, resp, err, wrote.Load(), false); err != nil {
			return counts, gone, err
		}
		for _, t := range tweets {
			counts[t.IDStr] = herald.Engagement{Retweets: int64(t.RetweetCount), Quotes: int64(t.QuoteCount),
				Likes: int64(t.FavoriteCount), Replies: int64(t.ReplyCount)}
		}
		for _, id := range asked {
			if _, ok := counts[id]; !ok {
				gone = append(gone, id)
			}
		}
	}
	return counts, gone, nil
}

func (c *Client) deleteV11(ctx context.Context, id string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil // no X post has such an id: nothing to delete
	}
	api, wrote, cancel := c.api(ctx)
	defer cancel()
	_, resp, err := api.Statuses.Destroy(n, &gotwitter.StatusDestroyParams{TrimUser: gotwitter.Bool(true)})
	err = v11Error(herald.OpDelete, resp, err, wrote.Load(), false)
	var he *herald.Error
	if errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Code == 144) {
		return nil
	}
	return err
}

func (c *Client) checkV11(ctx context.Context) (herald.Identity, error) {
	api, wrote, cancel := c.api(ctx)
	defer cancel()
	u, resp, err := api.Accounts.VerifyCredentials(&gotwitter.AccountVerifyParams{SkipStatus: gotwitter.Bool(true)})
	if err := v11Error(herald.OpCheck, resp, err, wrote.Load(), false); err != nil {
		return herald.Identity{}, err
	}
	if u == nil || u.IDStr == "" {
		return herald.Identity{}, badAnswer(herald.OpCheck, nil)
	}
	c.setIdentity(u.IDStr, u.ScreenName)
	return herald.Identity{ID: u.IDStr, Name: "@" + u.ScreenName}, nil
}

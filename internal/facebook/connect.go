package facebook

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	fb "github.com/huandu/facebook/v2"
)

// Scopes are the permissions Herald asks a Page admin for: list the Pages,
// read their posts' engagement, and post.
var Scopes = []string{"pages_show_list", "pages_read_engagement", "pages_manage_posts"}

const defaultGraph = "https://graph.facebook.com"

// Connector runs the manual Facebook Login flow for an app, through
// huandu/facebook: the login dialog, the code exchanged for a user token,
// that exchanged for a long-lived one, and the Pages the user manages.
type Connector struct {
	app     *fb.App
	base    string // Graph API host, with a trailing slash
	version string
	http    *http.Client
	state   string
}

// NewConnector prepares the flow for the app (appID, appSecret) against
// the Graph API at base ("" for Facebook) in version, redirecting the login
// dialog to redirect.
func NewConnector(base, version, appID, appSecret, redirect string, client *http.Client) *Connector {
	if base == "" {
		base = defaultGraph
	}
	app := fb.New(appID, appSecret)
	app.RedirectUri = redirect
	return &Connector{app: app, base: strings.TrimRight(base, "/") + "/", version: version, http: client, state: rand.Text()}
}

// session is a huandu session for token (may be empty) bound to ctx.
func (c *Connector) session(ctx context.Context, token string) *fb.Session {
	s := c.app.Session(token)
	s.BaseURL, s.Version, s.HttpClient = c.base, c.version, c.http
	if token != "" {
		s.UseAuthorizationHeader()
	}
	return s.WithContext(ctx)
}

// DialogURL is the login dialog the user opens (on www.facebook.com for the
// real Graph API, on the emulation's own host otherwise).
func (c *Connector) DialogURL() string {
	host := strings.TrimRight(c.base, "/")
	if host == defaultGraph {
		host = "https://www.facebook.com"
	}
	q := url.Values{"client_id": {c.app.AppId}, "redirect_uri": {c.app.RedirectUri}, "state": {c.state},
		"scope": {strings.Join(Scopes, ",")}, "response_type": {"code"}}
	return host + "/" + c.version + "/dialog/oauth?" + q.Encode()
}

// Finish checks the redirected URL's state and error and exchanges its code
// for a user token.
func (c *Connector) Finish(ctx context.Context, redirected *url.URL) (string, error) {
	q := redirected.Query()
	if q.Get("state") != c.state {
		return "", errors.New("the redirect's state does not match the request's: start again")
	}
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("facebook refused the login: %s %s", q.Get("error_reason"), q.Get("error_description"))
	}
	c.app.SetSession(c.session(ctx, ""))
	token, _, _, err := c.app.ParseCodeInfo(q.Get("code"), "")
	if err != nil {
		return "", fmt.Errorf("exchange the code: %s", graphErrorText(err))
	}
	return token, nil
}

// LongLived exchanges a user token for a long-lived one
// (grant_type=fb_exchange_token) and returns it with its expiry.
func (c *Connector) LongLived(ctx context.Context, userToken string) (string, time.Time, error) {
	c.app.SetSession(c.session(ctx, ""))
	token, expires, err := c.app.ExchangeToken(userToken)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("exchange for a long-lived token: %s", graphErrorText(err))
	}
	var at time.Time
	if expires > 0 {
		at = time.Now().Add(time.Duration(expires) * time.Second)
	}
	return token, at, nil
}

// Page is a Page the user manages, with its Page token.
type Page struct {
	ID, Name, Token string
}

// Pages lists the Pages the user manages (GET /me/accounts).
func (c *Connector) Pages(ctx context.Context, userToken string) ([]Page, error) {
	res, err := c.session(ctx, userToken).Get("/me/accounts", fb.Params{"fields": "id,name,access_token", "limit": 100})
	if err != nil {
		return nil, fmt.Errorf("list the pages (me/accounts): %s", graphErrorText(err))
	}
	var pages []struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		AccessToken string `json:"access_token"`
	}
	if err := res.DecodeField("data", &pages); err != nil {
		return nil, fmt.Errorf("list the pages (me/accounts): %w", err)
	}
	out := make([]Page, 0, len(pages))
	for _, p := range pages {
		out = append(out, Page{ID: p.ID, Name: p.Name, Token: p.AccessToken})
	}
	return out, nil
}

// graphErrorText is a Graph error's code and message, without the request
// (whose URL may carry a secret).
func graphErrorText(err error) string {
	var fe *fb.Error
	if errors.As(err, &fe) {
		return fmt.Sprintf("%s (code %d, subcode %d)", fe.Message, fe.Code, fe.ErrorSubcode)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

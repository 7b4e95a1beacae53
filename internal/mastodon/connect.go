package mastodon

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/internal/httpjson"
)

// Scopes are what Herald asks an instance for: post and delete statuses,
// read them back, and know the account.
const Scopes = "read:accounts read:statuses write:statuses"

// OOB is the redirect URI with which the instance shows the code instead of
// redirecting.
const OOB = "urn:ietf:wg:oauth:2.0:oob"

// App is an application registered on an instance (POST /api/v1/apps).
type App struct {
	ClientID, ClientSecret string
	RedirectURIs           []string
}

// RegisterApp registers Herald on the instance with the redirect URIs given.
func RegisterApp(ctx context.Context, instance string, redirects []string, client *http.Client) (App, error) {
	body := map[string]any{"client_name": "Herald", "redirect_uris": redirects, "scopes": Scopes,
		"website": "https://github.com/heraldhq/herald"}
	var out struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := call(ctx, client, strings.TrimRight(instance, "/")+"/api/v1/apps", httpjson.Request{JSON: body},
		&out); err != nil {
		return App{}, fmt.Errorf("register the app: %w", err)
	}
	if out.ClientID == "" || out.ClientSecret == "" {
		return App{}, errors.New("register the app: the instance gave no client credentials")
	}
	return App{ClientID: out.ClientID, ClientSecret: out.ClientSecret, RedirectURIs: redirects}, nil
}

// Authorization is one authorization code flow (with PKCE and a state).
type Authorization struct {
	conf     *oauth2.Config
	http     *http.Client
	state    string
	verifier string
}

// NewAuthorization prepares the flow for app, redirecting to redirect (OOB
// for a code shown by the instance).
func NewAuthorization(instance string, app App, redirect string, client *http.Client) *Authorization {
	base := strings.TrimRight(instance, "/")
	return &Authorization{
		conf: &oauth2.Config{ClientID: app.ClientID, ClientSecret: app.ClientSecret, RedirectURL: redirect,
			Scopes: strings.Fields(Scopes), Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth/authorize",
				TokenURL: base + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}},
		http: client, state: rand.Text(), verifier: oauth2.GenerateVerifier(),
	}
}

// AuthorizeURL is the page the user opens.
func (a *Authorization) AuthorizeURL() string {
	return a.conf.AuthCodeURL(a.state, oauth2.S256ChallengeOption(a.verifier))
}

// FinishRedirect checks the redirected URL's state and exchanges its code.
func (a *Authorization) FinishRedirect(ctx context.Context, u *url.URL) (string, error) {
	q := u.Query()
	if q.Get("state") != a.state {
		return "", errors.New("the redirect's state does not match the request's: start again")
	}
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("the instance refused the authorization: %s", e)
	}
	return a.Exchange(ctx, q.Get("code"))
}

// Exchange trades a code for an access token.
func (a *Authorization) Exchange(ctx context.Context, code string) (string, error) {
	if strings.TrimSpace(code) == "" {
		return "", errors.New("no authorization code")
	}
	t, err := a.conf.Exchange(context.WithValue(ctx, oauth2.HTTPClient, a.http), strings.TrimSpace(code),
		oauth2.VerifierOption(a.verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return "", fmt.Errorf("exchange the code: %s %s", re.ErrorCode, re.ErrorDescription)
		}
		return "", fmt.Errorf("exchange the code: %w", err)
	}
	return t.AccessToken, nil
}

// Revoke revokes an access token of app (POST /oauth/revoke).
func Revoke(ctx context.Context, instance string, app App, token string, client *http.Client) error {
	form := url.Values{"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "token": {token}}
	return call(ctx, client, strings.TrimRight(instance, "/")+"/oauth/revoke",
		httpjson.Request{Raw: []byte(form.Encode()), ContentType: "application/x-www-form-urlencoded"}, nil)
}

// call makes one request and decodes a 200 answer into out (may be nil).
func call(ctx context.Context, client *http.Client, u string, rq httpjson.Request, out any) error {
	target, err := url.Parse(u)
	if err != nil {
		return err
	}
	rq.Method, rq.URL = http.MethodPost, target
	a, err := httpjson.Do(ctx, client, rq)
	if err != nil {
		return err
	}
	if a.Status != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(a.Body, &e)
		return fmt.Errorf("HTTP %d %s", a.Status, e.Error)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(a.Body, out)
}

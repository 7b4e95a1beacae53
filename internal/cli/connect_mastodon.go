package cli

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/mastodon"
)

// mastodon registers Herald on the instance (or reuses the app registered
// by an earlier connect), runs the authorization code flow (loopback, or
// --manual with the code the instance shows) and checks the token.
func (c *connector) mastodon(ctx context.Context) (herald.Credentials, error) {
	a := c.acct
	if a.InstanceURL == "" {
		return herald.Credentials{}, usageErrorf("accounts.%s.instance_url: must be set to connect (the instance, e.g. https://mastodon.social)", c.id)
	}
	redirect, wait := mastodon.OOB, func(context.Context) (*url.URL, error) { return nil, nil }
	if !c.opts.manual {
		var err error
		if redirect, wait, err = c.callback(); err != nil {
			return herald.Credentials{}, err
		}
	}
	app, err := c.mastodonApp(ctx, redirect)
	if err != nil {
		return herald.Credentials{}, err
	}
	flow := mastodon.NewAuthorization(a.InstanceURL, app, redirect, c.http)
	c.say("Open this URL in a browser signed in to the Mastodon account %s posts as, and authorize Herald:\n\n  %s\n",
		c.id, flow.AuthorizeURL())
	var token string
	if c.opts.manual {
		code, err := c.ask("Paste the authorization code the instance shows:\n> ")
		if err != nil {
			return herald.Credentials{}, err
		}
		token, err = flow.Exchange(ctx, code)
		if err != nil {
			return herald.Credentials{}, err
		}
	} else {
		c.say("Waiting for the instance to redirect to %s ...", redirect)
		u, err := wait(ctx)
		if err != nil {
			return herald.Credentials{}, err
		}
		if token, err = flow.FinishRedirect(ctx, u); err != nil {
			return herald.Credentials{}, err
		}
	}
	cr := herald.Credentials{Method: "oauth",
		Secrets: map[string]string{"access_token": token, "client_secret": app.ClientSecret},
		Public: map[string]string{"client_id": app.ClientID, "redirect_uris": strings.Join(app.RedirectURIs, " "),
			"app_instance": a.InstanceURL, "scopes": mastodon.Scopes}}
	id, err := c.checkWith(ctx, cr)
	if err != nil {
		return herald.Credentials{}, err
	}
	cr.Public["username"] = id.Name
	return cr, nil
}

// mastodonApp returns the app registered on the instance by an earlier
// connect if it allows redirect, else registers a new one.
func (c *connector) mastodonApp(ctx context.Context, redirect string) (mastodon.App, error) {
	prev, err := c.store.LoadCredentials(ctx, c.id)
	if err != nil && !errors.Is(err, herald.ErrNotFound) {
		return mastodon.App{}, err
	}
	if err == nil && prev.Public["app_instance"] == c.acct.InstanceURL && prev.Public["client_id"] != "" &&
		slices.Contains(strings.Fields(prev.Public["redirect_uris"]), redirect) {
		return mastodon.App{ClientID: prev.Public["client_id"], ClientSecret: prev.Secrets["client_secret"],
			RedirectURIs: strings.Fields(prev.Public["redirect_uris"])}, nil
	}
	redirects := []string{mastodon.OOB}
	if redirect != mastodon.OOB {
		redirects = append(redirects, redirect)
	}
	return mastodon.RegisterApp(ctx, c.acct.InstanceURL, redirects, c.http)
}

func revokeMastodon(ctx context.Context, acct config.Account, cr herald.Credentials, client *http.Client) (bool, error) {
	app := mastodon.App{ClientID: cr.Public["client_id"], ClientSecret: cr.Secrets["client_secret"]}
	if app.ClientID == "" || cr.Secrets["access_token"] == "" {
		return false, nil
	}
	if err := mastodon.Revoke(ctx, acct.InstanceURL, app, cr.Secrets["access_token"], client); err != nil {
		return false, err
	}
	return true, nil
}

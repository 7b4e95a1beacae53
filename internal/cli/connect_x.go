package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/twitter"
)

// xOAuth2 runs X's OAuth 2.0 Authorization Code Flow with PKCE. Nothing is
// stored unless every step succeeds.
func (c *connector) xOAuth2(ctx context.Context) (herald.Credentials, error) {
	a := c.acct
	if a.ClientID == "" {
		return herald.Credentials{}, usageErrorf("accounts.%s.client_id: must be set to connect with OAuth 2.0 (the app's "+
			"OAuth 2.0 Client ID, on its Keys and tokens page), or connect with --oauth1", c.id)
	}
	redirect, wait, err := c.callback()
	if err != nil {
		return herald.Credentials{}, err
	}
	if c.sb != nil {
		c.sb.X.AddApp(emulator.XApp{ClientID: a.ClientID, ClientSecret: a.ClientSecret, CallbackURLs: []string{redirect}})
	}
	flow := twitter.NewPKCE(a.APIBaseURL, a.ClientID, a.ClientSecret, redirect, c.http)
	c.say("Open this URL in a browser signed in to the X account %s posts as, and authorize the app\n"+
		"(its callback URL must be %s):\n\n  %s\n", c.id, redirect, flow.AuthorizeURL())
	if !c.opts.manual {
		c.say("Waiting for X to redirect to %s ...", redirect)
	}
	u, err := wait(ctx)
	if err != nil {
		return herald.Credentials{}, err
	}
	tok, err := flow.Finish(ctx, u)
	if err != nil {
		return herald.Credentials{}, err
	}
	uid, username, err := twitter.Me(ctx, a.APIBaseURL, tok.AccessToken, c.http)
	if err != nil {
		return herald.Credentials{}, fmt.Errorf("check the new token: %w", err)
	}
	if err := c.store.SaveToken(ctx, c.id, tok); err != nil {
		return herald.Credentials{}, err
	}
	return herald.Credentials{Method: "oauth2",
		Public: map[string]string{"user_id": uid, "username": "@" + username, "client_id": a.ClientID,
			"scopes": strings.Join(twitter.Scopes, " ")}}, nil
}

// xOAuth1 runs X's OAuth 1.0a flow with a PIN for the app's consumer key.
func (c *connector) xOAuth1(ctx context.Context) (herald.Credentials, error) {
	a := c.acct
	if a.ConsumerKey == "" || a.ConsumerSecret == "" {
		return herald.Credentials{}, usageErrorf("accounts.%s.consumer_key and consumer_secret: must be set to connect with "+
			"OAuth 1.0a (the app's API Key and Secret, on its Keys and tokens page)", c.id)
	}
	if c.sb != nil {
		c.sb.X.AddApp(emulator.XApp{ConsumerKey: a.ConsumerKey, ConsumerSecret: a.ConsumerSecret})
	}
	flow := twitter.NewPIN(a.APIBaseURL, a.ConsumerKey, a.ConsumerSecret, c.http)
	authURL, err := flow.Start()
	if err != nil {
		return herald.Credentials{}, err
	}
	c.say("Open this URL in a browser signed in to the X account %s posts as, authorize the app,\n"+
		"and enter the PIN X shows:\n\n  %s\n", c.id, authURL)
	pin, err := c.ask("PIN: ")
	if err != nil {
		return herald.Credentials{}, err
	}
	token, secret, err := flow.Finish(pin)
	if err != nil {
		return herald.Credentials{}, err
	}
	cr := herald.Credentials{Method: "oauth1",
		Secrets: map[string]string{"access_token": token, "access_token_secret": secret}}
	id, err := c.checkWith(ctx, cr)
	if err != nil {
		return herald.Credentials{}, err
	}
	cr.Public = map[string]string{"username": "@" + strings.TrimPrefix(id.Name, "@"), "user_id": id.ID}
	return cr, nil
}

// checkWith asks the network who the credentials cr belong to, with a
// publisher built on them (nothing is stored yet).
func (c *connector) checkWith(ctx context.Context, cr herald.Credentials) (herald.Identity, error) {
	p, err := buildNetworkPublisher(c.cfg, c.id, applyConnected(c.acct, cr), c.store, c.a.Logger())
	if err != nil {
		return herald.Identity{}, err
	}
	id, err := p.Check(ctx)
	if err != nil {
		return herald.Identity{}, fmt.Errorf("check the new credentials: %w", err)
	}
	return id, nil
}

// revokeConnected revokes connected credentials where the network offers
// it; it reports whether it did.
func revokeConnected(ctx context.Context, st herald.Store, acct config.Account, cr herald.Credentials, client *http.Client) (bool, error) {
	switch {
	case cr.Network == herald.Twitter && cr.Method == "oauth2":
		tok, err := st.LoadToken(ctx, cr.Account)
		if err != nil {
			return false, err
		}
		clientID := acct.ClientID
		if clientID == "" {
			clientID = cr.Public["client_id"]
		}
		if err := twitter.Revoke(ctx, acct.APIBaseURL, clientID, acct.ClientSecret, tok.RefreshToken, "refresh_token", client); err != nil {
			return false, err
		}
		if tok.AccessToken != "" {
			if err := twitter.Revoke(ctx, acct.APIBaseURL, clientID, acct.ClientSecret, tok.AccessToken, "access_token", client); err != nil {
				return false, err
			}
		}
		return true, nil
	case cr.Network == herald.Mastodon:
		return revokeMastodon(ctx, acct, cr, client)
	}
	return false, nil
}

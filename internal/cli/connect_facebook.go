package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/facebook"
	"github.com/heraldhq/herald/internal/herald"
)

// facebook gets a user token (login dialog, or --user-token), makes it
// long-lived, lists the Pages the user manages, keeps the chosen Page's
// token and confirms its permissions and expiry with debug_token.
func (c *connector) facebook(ctx context.Context) (herald.Credentials, error) {
	a := c.acct
	if a.AppID == "" || a.AppSecret == "" {
		return herald.Credentials{}, usageErrorf("accounts.%s.app_id and app_secret: must be set to connect a Page (the app's ID "+
			"and secret, in the app dashboard's Settings → Basic)", c.id)
	}
	userToken := c.opts.userToken
	conn := facebook.NewConnector(a.GraphBaseURL, a.GraphVersion, a.AppID, a.AppSecret, "", c.http)
	if userToken == "" {
		redirect, wait, err := c.callback()
		if err != nil {
			return herald.Credentials{}, err
		}
		if c.sb != nil {
			c.sb.Graph.AddApp(emulator.GraphApp{ID: a.AppID, Secret: a.AppSecret, RedirectURIs: []string{redirect}})
		}
		conn = facebook.NewConnector(a.GraphBaseURL, a.GraphVersion, a.AppID, a.AppSecret, redirect, c.http)
		c.say("Open this URL in a browser signed in to Facebook as an admin of the Page %s posts to, and continue\n"+
			"(%s must be a Valid OAuth Redirect URI of the app):\n\n  %s\n", c.id, redirect, conn.DialogURL())
		if !c.opts.manual {
			c.say("Waiting for Facebook to redirect to %s ...", redirect)
		}
		u, err := wait(ctx)
		if err != nil {
			return herald.Credentials{}, err
		}
		if userToken, err = conn.Finish(ctx, u); err != nil {
			return herald.Credentials{}, err
		}
	}
	long, _, err := conn.LongLived(ctx, userToken)
	if err != nil {
		return herald.Credentials{}, err
	}
	pages, err := conn.Pages(ctx, long)
	if err != nil {
		return herald.Credentials{}, err
	}
	p, err := c.choosePage(pages)
	if err != nil {
		return herald.Credentials{}, err
	}
	cr := herald.Credentials{Method: "page", Secrets: map[string]string{"page_access_token": p.Token},
		Public: map[string]string{"page_id": p.ID, "page_name": p.Name, "username": p.Name}}
	id, err := c.checkWith(ctx, cr)
	if err != nil {
		return herald.Credentials{}, err
	}
	for _, w := range id.Warnings {
		c.say("Warning: %s", w)
	}
	cr.Expiry = id.Expires
	return cr, nil
}

// choosePage picks the Page named by --page (ID or name), else the
// configured page_id, else the only one, else asks.
func (c *connector) choosePage(pages []facebook.Page) (facebook.Page, error) {
	if len(pages) == 0 {
		return facebook.Page{}, fmt.Errorf("the user manages no Page this app may use (grant it the Page in the login dialog)")
	}
	want := c.opts.page
	if want == "" {
		want = c.acct.PageID
	}
	if want != "" {
		for _, p := range pages {
			if p.ID == want || strings.EqualFold(p.Name, want) {
				return p, nil
			}
		}
		return facebook.Page{}, usageErrorf("--page: no Page %q among those the user manages: %s", want, pageList(pages))
	}
	if len(pages) == 1 {
		return pages[0], nil
	}
	for i, p := range pages {
		c.say("  %d. %s (%s)", i+1, p.Name, p.ID)
	}
	ans, err := c.ask("Page to post as (number): ")
	if err != nil {
		return facebook.Page{}, err
	}
	n, err := strconv.Atoi(ans)
	if err != nil || n < 1 || n > len(pages) {
		return facebook.Page{}, usageErrorf("not a Page number between 1 and %d: %q", len(pages), ans)
	}
	return pages[n-1], nil
}

func pageList(pages []facebook.Page) string {
	s := make([]string, len(pages))
	for i, p := range pages {
		s[i] = p.Name + " (" + p.ID + ")"
	}
	return strings.Join(s, ", ")
}

package cli

import (
	"slices"
	"strconv"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/emulator"
)

// startSandbox starts the in-process sandbox for a connect run (sandbox:
// true) and makes the account's network ready for the flow: the account's
// user is signed in on the emulated site, and an X account gets an OAuth 2.0
// client ID if it has none.
func (c *connector) startSandbox() (*sandbox, error) {
	sb, err := startSandbox(c.cfg, c.a.Logger())
	if err != nil {
		return nil, err
	}
	c.acct = c.cfg.Accounts[c.id]
	switch c.acct.Network {
	case config.NetworkTwitter:
		if c.acct.ClientID == "" {
			c.acct.ClientID = "sandbox-" + c.id + "-client_id"
		}
		sb.X.SignIn(c.acct.UserID)
	case config.NetworkFacebook:
		sb.Graph.AddUser(emulator.GraphUser{ID: "100000000000001", Name: "Sandbox Editor", Pages: []string{c.acct.PageID}})
		sb.Graph.SignIn("100000000000001")
	case config.NetworkMastodon:
		// register numbers Mastodon accounts by their place in accountIDs.
		sb.Mastodon.SignIn(strconv.Itoa(110_000_001 + slices.Index(accountIDs(c.cfg), c.id)))
	}
	return sb, nil
}

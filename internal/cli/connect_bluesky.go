package cli

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/term"

	"github.com/heraldhq/herald/internal/bluesky"
	"github.com/heraldhq/herald/internal/herald"
)

// blueskyPasswordEnv holds the app password for a connect without a prompt;
// it is never taken from a flag, which would leave it in shell history.
const blueskyPasswordEnv = "HERALD_BLUESKY_APP_PASSWORD"

// bluesky resolves the handle to its DID and PDS, creates a session with an
// app password and keeps the password (to log in again when the session
// lapses) and the session's tokens.
func (c *connector) bluesky(ctx context.Context) (herald.Credentials, error) {
	handle := c.opts.handle
	if handle == "" {
		handle = c.acct.Handle
	}
	var err error
	if handle == "" {
		if handle, err = c.ask("Bluesky handle (e.g. news.example.com): "); err != nil {
			return herald.Credentials{}, err
		}
	}
	password := os.Getenv(blueskyPasswordEnv)
	if password == "" {
		if password, err = c.secret("App password (Settings → Privacy and security → App passwords): "); err != nil {
			return herald.Credentials{}, err
		}
	}
	if password == "" {
		return herald.Credentials{}, usageErrorf("no app password: type it, or set %s", blueskyPasswordEnv)
	}
	conn, err := bluesky.Connect(ctx, c.acct.PDSURL, handle, password, c.http)
	if err != nil {
		return herald.Credentials{}, err
	}
	cr := herald.Credentials{Method: "app_password",
		Secrets: map[string]string{"app_password": password},
		Public:  map[string]string{"handle": conn.Handle, "pds_url": conn.PDS, "did": conn.DID, "username": "@" + conn.Handle}}
	if err := c.store.SaveToken(ctx, c.id, conn.Token); err != nil {
		return herald.Credentials{}, err
	}
	return cr, nil
}

// secret reads a line without echoing it when standard input is a
// terminal, and as a plain line otherwise.
func (c *connector) secret(prompt string) (string, error) {
	if f, ok := c.a.In().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.a.Err(), prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.a.Err())
		if err != nil {
			return "", fmt.Errorf("read the app password: %w", err)
		}
		return string(b), nil
	}
	return c.ask(prompt)
}

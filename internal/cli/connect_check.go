package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// Warnings from the networks' checks that mean the account cannot post.
var cannotPost = []string{"lacks the pages_manage_posts permission", "cannot post: its app lacks the write:statuses scope"}

// diagnose turns a check row into what to do: a token that cannot post
// fails the check, and every failure or warning gets the command or key
// that fixes it, depending on where the credentials come from.
func diagnose(ctx context.Context, cfg *config.Config, st herald.CredentialStore, r *checkRow) {
	origin, err := credentialOrigin(ctx, cfg, st, r.Account)
	if err != nil {
		origin = originNone
	}
	r.Credentials = origin
	acct := cfg.Accounts[r.Account]
	connect := "herald accounts connect " + r.Account
	if acct.Network == config.NetworkTwitter && acct.Auth != "oauth2" && origin != originConnected {
		connect += " --oauth1"
	}
	replace := func(keys ...string) string {
		switch origin {
		case originConfig, originEnv:
			where := "the configuration"
			if origin == originEnv {
				envs := make([]string, len(keys))
				for i, k := range keys {
					envs[i] = config.AccountEnvName(r.Account, k)
				}
				where = strings.Join(envs, ", ")
			}
			them := "them"
			if len(keys) == 1 {
				them = "it"
			}
			return fmt.Sprintf("replace %s in %s, or remove %s and run `%s`; then `herald accounts resume %s` if it was paused",
				strings.Join(keys, ", "), where, them, connect, r.Account)
		case originSandbox:
			return "the sandbox supplies these credentials: restart it"
		}
		return fmt.Sprintf("run `%s`", connect)
	}
	for _, w := range r.Warnings {
		for _, c := range cannotPost {
			if strings.Contains(w, c) {
				r.OK, r.ErrorKind = false, "permission"
				if r.Error == "" {
					r.Error, r.detail = w, w
				}
			}
		}
	}
	text := r.Error + " " + strings.Join(r.Warnings, " ")
	r.problem = r.detail
	if r.problem == "" {
		r.problem = strings.Join(r.Warnings, "; ")
	}
	if acct.Network == config.NetworkFacebook && strings.Contains(text, "has expired") {
		r.problem += " (a Page token obtained from a short-lived user token expires with it; one from a long-lived user token does not)"
	}
	switch {
	case r.OK && len(r.Warnings) == 0:
		return
	case strings.Contains(text, "pages_manage_posts"):
		r.Fix = "connect again and grant pages_manage_posts in the login dialog (outside development mode the app needs " +
			"Meta's App Review for it): " + replace("page_access_token")
	case strings.Contains(text, "write:statuses"):
		r.Fix = "connect again so Herald registers an app with write:statuses: " + replace("access_token")
	case strings.Contains(text, "code 32"):
		r.Fix = "compare consumer_secret (the app's API Key Secret) and access_token_secret with the app's Keys and tokens " +
			"page in the developer portal and correct the wrong one; if the consumer secret is right, " + replace("access_token", "access_token_secret")
	case r.ErrorKind == string(herald.ErrAuth) || strings.Contains(text, "expire") || strings.Contains(text, "renew"):
		keys := config.UserCredentialKeys(acct.Network)
		if acct.Network == config.NetworkTwitter {
			keys = []string{"access_token", "access_token_secret"}
			if acct.Auth == "oauth2" {
				keys = []string{"refresh_token"}
			}
		}
		r.Fix = replace(keys...)
	}
}

// writeFixes lists, under the table, what to do for each account that
// needs something.
func writeFixes(w io.Writer, rows []checkRow) error {
	first := true
	for _, r := range rows {
		if r.Fix == "" {
			continue
		}
		if first {
			if _, err := fmt.Fprintln(w, "\nTo fix:"); err != nil {
				return err
			}
			first = false
		}
		if _, err := fmt.Fprintf(w, "  %s: %s\n    fix: %s\n", r.Account, r.problem, r.Fix); err != nil {
			return err
		}
	}
	return nil
}

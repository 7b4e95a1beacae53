package config

import (
	"regexp"
	"text/template"
	"time"
)

var graphVersionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// credential is a key an account needs to publish.
type credential struct {
	key, value string
}

// credentials returns what network (with auth, for X) needs to publish.
func credentials(a Account) []credential {
	switch a.Network {
	case NetworkTwitter:
		if a.Auth == "oauth2" {
			return []credential{{"client_id", a.ClientID}, {"refresh_token", a.RefreshToken}}
		}
		return []credential{
			{"consumer_key", a.ConsumerKey}, {"consumer_secret", a.ConsumerSecret},
			{"access_token", a.AccessToken}, {"access_token_secret", a.AccessTokenSecret},
		}
	case NetworkFacebook:
		return []credential{{"page_id", a.PageID}, {"page_access_token", a.PageAccessToken}}
	case NetworkMastodon:
		return []credential{{"instance_url", a.InstanceURL}, {"access_token", a.AccessToken}}
	case NetworkBluesky:
		return []credential{{"handle", a.Handle}, {"app_password", a.AppPassword}}
	}
	return nil
}

// UserCredentialKeys are the keys of network that hold the user's own
// credentials (what `herald accounts connect` obtains), as opposed to the
// app's (consumer_key, client_id, app_id, ...) and to settings.
func UserCredentialKeys(network string) []string {
	switch network {
	case NetworkTwitter:
		return []string{"access_token", "access_token_secret", "refresh_token"}
	case NetworkFacebook:
		return []string{"page_access_token"}
	case NetworkMastodon:
		return []string{"access_token"}
	case NetworkBluesky:
		return []string{"app_password"}
	}
	return nil
}

// AccountEnvName is the environment variable that sets key of account id.
func AccountEnvName(id, key string) string {
	return EnvPrefix + envName("accounts."+id+"."+key)
}

func (c *Config) validateAccount(ch *checker, id string, a Account) {
	key := "accounts." + id
	if !namePattern.MatchString(id) {
		ch.add(key, "account id must use only a-z, 0-9, _ and -")
	}
	switch a.Network {
	case "":
		ch.add(key+".network", "must be set (twitter, facebook, mastodon or bluesky)")
		return
	case NetworkTwitter:
		ch.oneOf(key+".api", a.API, "v2", "v1.1")
		ch.oneOf(key+".auth", a.Auth, "oauth1", "oauth2")
		if a.API == "v1.1" && a.Auth == "oauth2" {
			ch.add(key+".auth", "must be oauth1 with api v1.1")
		}
		ch.httpURL(key+".api_base_url", a.APIBaseURL)
	case NetworkFacebook:
		ch.httpURL(key+".graph_base_url", a.GraphBaseURL)
		if !graphVersionPattern.MatchString(a.GraphVersion) {
			ch.add(key+".graph_version", "must be a Graph API version like v25.0 (got %q)", a.GraphVersion)
		}
	case NetworkMastodon:
		if a.Visibility != "" {
			ch.oneOf(key+".visibility", a.Visibility, "public", "unlisted", "private", "direct")
		}
		validateMastodonLanguage(ch, key+".language", a.Language)
	case NetworkBluesky:
		if a.PDSURL != "" {
			ch.httpURL(key+".pds_url", a.PDSURL)
		}
	default:
		ch.add(key+".network", "must be one of twitter, facebook, mastodon, bluesky (got %q)", a.Network)
		return
	}
	if a.Network == NetworkMastodon && a.InstanceURL != "" {
		ch.httpURL(key+".instance_url", a.InstanceURL)
	}
	// The sandbox supplies credentials, and a dry run needs none.
	if !c.Sandbox && !c.Publish.DryRun && !ch.connected[id] {
		for _, cr := range credentials(a) {
			if cr.value == "" {
				ch.add(key+"."+cr.key, "must be set for network %s (or set it in %s%s); or run `herald accounts connect %s`",
					a.Network, EnvPrefix, envName(key+"."+cr.key), id)
			}
		}
	}
	validateComposition(ch, key, a)
	validatePacing(ch, key, a)
	validateWaits(ch, key, a)
}

// validateWaits checks the fallback waits of a throttled or blocked
// account, which only some networks use: X always names a reset time.
func validateWaits(ch *checker, key string, a Account) {
	if a.Network == NetworkTwitter {
		if a.RateLimitWait != 0 {
			ch.add(key+".rate_limit_wait", "is not used on twitter (X names its reset time; dispatch.rate_limit_wait applies otherwise)")
		}
	} else {
		ch.positive(key+".rate_limit_wait", a.RateLimitWait)
	}
	if a.Network == NetworkFacebook {
		ch.positive(key+".blocked_wait", a.BlockedWait)
	} else if a.BlockedWait != 0 {
		ch.add(key+".blocked_wait", "is only used on facebook")
	}
}

func validateComposition(ch *checker, key string, a Account) {
	for _, t := range []credential{{"template", a.Template}, {"repost_template", a.RepostTemplate}} {
		if _, err := template.New(t.key).Parse(t.value); err != nil {
			ch.add(key+"."+t.key, "must be a valid Go template: %v", err)
		}
	}
	if a.Hashtags < 0 || a.Hashtags > 10 {
		ch.add(key+".hashtags", "must be between 0 and 10")
	}
}

func validatePacing(ch *checker, key string, a Account) {
	ch.notNegative(key+".min_interval", a.MinInterval)
	ch.atLeast(key+".daily_cap", int64(a.DailyCap), 0)
	q := a.QuietHours
	switch {
	case q.Start == "" && q.End == "":
	case q.Start == "" || q.End == "":
		ch.add(key+".quiet_hours", "must set both start and end, or neither")
	default:
		start, errStart := time.Parse("15:04", q.Start)
		end, errEnd := time.Parse("15:04", q.End)
		if errStart != nil {
			ch.add(key+".quiet_hours.start", "must be a time like 22:00 (got %q)", q.Start)
		}
		if errEnd != nil {
			ch.add(key+".quiet_hours.end", "must be a time like 06:30 (got %q)", q.End)
		}
		if errStart == nil && errEnd == nil && start.Equal(end) {
			ch.add(key+".quiet_hours.end", "must differ from start")
		}
	}
	if a.Timezone != "" {
		if _, err := time.LoadLocation(a.Timezone); err != nil {
			ch.add(key+".timezone", "must be an IANA time zone like Europe/Madrid (got %q)", a.Timezone)
		}
	}
	ch.amount(key+".cost.post_with_link", a.Cost.PostWithLink)
	ch.amount(key+".cost.post", a.Cost.Post)
	ch.amount(key+".cost.read", a.Cost.Read)
	ch.amount(key+".cost.monthly_budget", a.Cost.MonthlyBudget)
	ch.validateDigest(key+".digest", a.Digest)
}

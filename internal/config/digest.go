package config

import (
	"text/template"
	"time"

	"github.com/robfig/cron/v3"
)

// Digest is an account's daily digest (accounts.ID.digest): the day's top
// stories by Herald's ranking, as a thread (X, Mastodon, Bluesky) or one
// post with the list (Facebook). Off while Schedule is empty.
type Digest struct {
	// Schedule is a standard cron expression in the account's timezone
	// ("0 19 * * *"); the digest goes out at its first time each day.
	Schedule string `mapstructure:"schedule"`
	// Count is how many stories (default 5, at most 20).
	Count int `mapstructure:"count"`
	// By is the ranking (default shares): shares, score, reactions,
	// comments, clicks or views.
	By string `mapstructure:"by"`
	// Since is how long before the digest the stories were published
	// (default 24h).
	Since time.Duration `mapstructure:"since"`
	// Title opens the digest (default "Most shared today").
	Title string `mapstructure:"title"`
	// Template is a story's line, a Go template over .Rank, .Title, .URL,
	// .Section, .Shares, .Views and .Clicks (default "{{.Rank}}. {{.Title}} {{.URL}}").
	Template string `mapstructure:"template"`
}

// validateDigest checks an account's digest keys under key.
func (c *checker) validateDigest(key string, d Digest) {
	if d.Schedule == "" {
		return
	}
	if _, err := cron.ParseStandard(d.Schedule); err != nil {
		c.add(key+".schedule", "must be a cron schedule like \"0 19 * * *\": %v", err)
	}
	if d.Count < 0 || d.Count > 20 {
		c.add(key+".count", "must be 1 to 20 (got %d)", d.Count)
	}
	if d.By != "" {
		c.oneOf(key+".by", d.By, "shares", "score", "reactions", "comments", "clicks", "views")
	}
	c.notNegative(key+".since", d.Since)
	if d.Template != "" {
		if _, err := template.New("digest").Parse(d.Template); err != nil {
			c.add(key+".template", "must be a Go template: %v", err)
		}
	}
}

package mastodon

import (
	"context"
	"net/http"
)

// Mastodon's defaults, used until the instance has said its own.
const (
	defaultMaxCharacters = 500
	defaultURLLength     = 23
)

const opInstance = "read instance"

// instanceInfo is the part of GET /api/v2/instance Herald reads: the
// status limits the server configures.
type instanceInfo struct {
	Configuration struct {
		Statuses struct {
			MaxCharacters            int `json:"max_characters"`
			CharactersReservedPerURL int `json:"characters_reserved_per_url"`
		} `json:"statuses"`
	} `json:"configuration"`
}

// textLimits are an instance's status limits.
type textLimits struct {
	maxChars, urlLength int
}

// readInstance reads the instance's status limits (GET /api/v2/instance)
// and keeps them for TextLimits.
func (c *Client) readInstance(ctx context.Context) (textLimits, error) {
	var info instanceInfo
	if _, err := c.do(ctx, request{op: opInstance, method: http.MethodGet, path: "/api/v2/instance", oneOff: true}, &info); err != nil {
		return textLimits{}, err
	}
	l := textLimits{maxChars: info.Configuration.Statuses.MaxCharacters,
		urlLength: info.Configuration.Statuses.CharactersReservedPerURL}
	if l.maxChars <= 0 {
		l.maxChars = defaultMaxCharacters
	}
	if l.urlLength <= 0 {
		l.urlLength = defaultURLLength
	}
	c.mu.Lock()
	c.limits = &l
	c.mu.Unlock()
	return l, nil
}

// TextLimits returns the instance's max_characters and
// characters_reserved_per_url once read (at the first post or account
// check), and zeros before: the composer then uses Mastodon's defaults.
func (c *Client) TextLimits() (maxChars, urlLength int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limits == nil {
		return 0, 0
	}
	return c.limits.maxChars, c.limits.urlLength
}

// knowLimits reads the instance's limits if they are not known yet. A
// failure is only logged: the defaults stay in force and the post goes on.
func (c *Client) knowLimits(ctx context.Context) {
	if n, _ := c.TextLimits(); n > 0 {
		return
	}
	if _, err := c.readInstance(ctx); err != nil {
		c.log.Warn("mastodon: instance limits not read; Mastodon's defaults apply", "error", err)
	}
}

package facebook

import (
	"context"
	"fmt"
	"slices"
	"time"

	fb "github.com/huandu/facebook/v2"

	"github.com/heraldhq/herald/internal/herald"
)

// requiredScopes are the permissions posting and reading engagement need.
var requiredScopes = []string{"pages_manage_posts", "pages_read_engagement"}

type tokenInfo struct {
	IsValid             bool     `json:"is_valid"`
	ExpiresAt           int64    `json:"expires_at"`
	DataAccessExpiresAt int64    `json:"data_access_expires_at"`
	ProfileID           string   `json:"profile_id"`
	Scopes              []string `json:"scopes"`
	Error               struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Subcode int    `json:"subcode"`
	} `json:"error"`
}

// Check reads GET /me with the Page token and, when the app id and secret
// are known, the token's expiry and permissions from debug_token. A token
// expiring within TokenWarnBefore, a missing permission or a token for
// another page are warnings (also logged); an invalid token is an auth error.
func (c *Client) Check(ctx context.Context) (herald.Identity, error) {
	res, call, err := c.call(ctx, c.page, fb.GET, "/me", fb.Params{"fields": "id,name"})
	if err != nil {
		return herald.Identity{}, c.classify(herald.OpCheck, call, err)
	}
	var id herald.Identity
	_ = res.DecodeField("id", &id.ID)
	_ = res.DecodeField("name", &id.Name)
	if id.ID != c.cfg.PageID {
		id.Warnings = append(id.Warnings, fmt.Sprintf("the token is for page %s (%s), not page_id %s", id.ID, id.Name, c.cfg.PageID))
	}
	if c.app != nil {
		if err := c.checkToken(ctx, &id); err != nil {
			return id, err
		}
	}
	for _, w := range id.Warnings {
		c.log.Warn("facebook account check", "warning", w)
	}
	return id, nil
}

// checkToken fills id.Expires and warnings from debug_token.
func (c *Client) checkToken(ctx context.Context, id *herald.Identity) error {
	res, call, err := c.call(ctx, c.app, fb.GET, "/debug_token", fb.Params{"input_token": c.cfg.PageAccessToken})
	var info tokenInfo
	if err == nil {
		err = res.DecodeField("data", &info)
	}
	if err != nil {
		// The Page token works (GET /me said so); only its expiry is unknown.
		id.Warnings = append(id.Warnings, "cannot read the token's expiry from debug_token: "+c.classify(herald.OpCheck, call, err).Error())
		return nil
	}
	if !info.IsValid {
		status, _ := call.answer()
		code := info.Error.Code
		if code == 0 {
			code = 190
		}
		return &herald.Error{Kind: herald.ErrAuth, Network: herald.Facebook, Op: herald.OpCheck, Status: status, Code: code,
			Message: c.scrub("debug_token: the Page token is not valid: " + info.Error.Message)}
	}
	now := c.now()
	if info.ExpiresAt > 0 {
		id.Expires = time.Unix(info.ExpiresAt, 0)
		if id.Expires.Sub(now) < TokenWarnBefore {
			id.Warnings = append(id.Warnings, fmt.Sprintf("the Page token expires on %s (in %s): renew it",
				id.Expires.UTC().Format(time.RFC3339), id.Expires.Sub(now).Round(time.Hour)))
		}
	}
	if info.DataAccessExpiresAt > 0 {
		if until := time.Unix(info.DataAccessExpiresAt, 0); until.Sub(now) < TokenWarnBefore {
			id.Warnings = append(id.Warnings, fmt.Sprintf("the token's data access expires on %s: renew it",
				until.UTC().Format(time.RFC3339)))
		}
	}
	for _, s := range requiredScopes {
		if !slices.Contains(info.Scopes, s) {
			id.Warnings = append(id.Warnings, "the token lacks the "+s+" permission")
		}
	}
	return nil
}

package mastodon

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/heraldhq/herald/internal/herald"
)

// cannotPost is the warning of a token that cannot post.
const cannotPost = "the token cannot post: its app lacks the write:statuses scope"

// checkScopes reads the token's app (GET /api/v1/apps/verify_credentials,
// whose scopes Mastodon lists since 4.3) and warns when it may not post.
// An instance that does not list scopes is given the benefit of the doubt.
func (c *Client) checkScopes(ctx context.Context, id *herald.Identity) {
	var app struct {
		Scopes []string `json:"scopes"`
	}
	if _, err := c.do(ctx, request{op: herald.OpCheck, method: http.MethodGet, path: "/api/v1/apps/verify_credentials"}, &app); err != nil {
		return
	}
	if len(app.Scopes) == 0 {
		return
	}
	if !slices.ContainsFunc(app.Scopes, func(s string) bool { return s == "write" || s == "write:statuses" }) {
		id.Warnings = append(id.Warnings, cannotPost+" (it has "+strings.Join(app.Scopes, " ")+")")
	}
}

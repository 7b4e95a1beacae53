package twitter

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/heraldhq/herald/internal/herald"
)

// v2 answers every refused OAuth 1.0a request with the same 401 problem
// ("Unauthorized"); v1.1's error codes say which credential X refused. So
// when a check fails with 401, explainAuth asks GET
// /1.1/account/verify_credentials.json with the same signature and puts
// its code and meaning into the error.
var authCodes = map[int]string{
	89:  "X refused the access token (code 89, Invalid or expired token): it was revoked, or regenerated in the developer portal; access_token and access_token_secret must be replaced",
	32:  "X could not authenticate the request (code 32, Could not authenticate you): the signature did not verify, so consumer_secret or access_token_secret is wrong (or consumer_key and access_token belong to different apps)",
	215: "X found no usable credentials (code 215, Bad Authentication data): consumer_key or access_token is missing or malformed",
	135: "X refused the request's timestamp (code 135): this machine's clock is off; fix it (NTP)",
}

// explainAuth refines a 401 from v2 with v1.1's error code (OAuth 1.0a).
func (c *Client) explainAuth(ctx context.Context, err error) error {
	var he *herald.Error
	if c.cfg.Auth != "oauth1" || !errors.As(err, &he) || he.Status != http.StatusUnauthorized {
		return err
	}
	req, rerr := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/1.1/account/verify_credentials.json", nil), nil)
	if rerr != nil {
		return err
	}
	resp, rerr := c.http.Do(req)
	if rerr != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Errors []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if resp.StatusCode != http.StatusUnauthorized ||
		json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) != nil || len(body.Errors) == 0 {
		return err
	}
	e := *he
	e.Code = body.Errors[0].Code
	if m, ok := authCodes[e.Code]; ok {
		e.Message = m
	} else {
		e.Message = body.Errors[0].Message
	}
	return &e
}

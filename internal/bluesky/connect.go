package bluesky

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald/internal/herald"
)

// DefaultEntryway resolves handles and creates sessions for accounts hosted
// on Bluesky's own PDSes.
const DefaultEntryway = "https://bsky.social"

// Connection is what connecting an account learns: its DID, its PDS and a
// session's tokens.
type Connection struct {
	DID, Handle, PDS string
	Token            herald.Token
}

// Connect resolves handle to its DID (com.atproto.identity.resolveHandle)
// at entry, creates a session with the app password
// (com.atproto.server.createSession) and reads the account's PDS from the
// DID document the session carries.
func Connect(ctx context.Context, entry, handle, appPassword string, client *http.Client) (Connection, error) {
	if entry == "" {
		entry = DefaultEntryway
	}
	entry = strings.TrimRight(entry, "/")
	handle = strings.TrimPrefix(strings.TrimSpace(handle), "@")
	var res struct {
		DID string `json:"did"`
	}
	if err := xrpcCall(ctx, client, http.MethodGet, entry+"/xrpc/com.atproto.identity.resolveHandle?handle="+url.QueryEscape(handle),
		nil, &res); err != nil {
		return Connection{}, fmt.Errorf("resolve the handle %s: %w", handle, err)
	}
	var sess struct {
		AccessJwt  string `json:"accessJwt"`
		RefreshJwt string `json:"refreshJwt"`
		Handle     string `json:"handle"`
		DID        string `json:"did"`
		DIDDoc     struct {
			Service []struct {
				ID              string `json:"id"`
				ServiceEndpoint string `json:"serviceEndpoint"`
			} `json:"service"`
		} `json:"didDoc"`
	}
	if err := xrpcCall(ctx, client, http.MethodPost, entry+"/xrpc/com.atproto.server.createSession",
		map[string]string{"identifier": res.DID, "password": appPassword}, &sess); err != nil {
		return Connection{}, fmt.Errorf("create a session (is the app password right?): %w", err)
	}
	if sess.DID != res.DID {
		return Connection{}, fmt.Errorf("create a session: the session is for %s, not %s", sess.DID, res.DID)
	}
	c := Connection{DID: sess.DID, Handle: sess.Handle, PDS: entry,
		Token: herald.Token{AccessToken: sess.AccessJwt, RefreshToken: sess.RefreshJwt, Expiry: jwtExpiry(sess.AccessJwt)}}
	for _, s := range sess.DIDDoc.Service {
		if s.ID == "#atproto_pds" && s.ServiceEndpoint != "" {
			c.PDS = strings.TrimRight(s.ServiceEndpoint, "/")
		}
	}
	return c, nil
}

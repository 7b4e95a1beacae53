package emulator

import (
	"net/http"
	"strings"
)

// Connecting an account, as the AT Protocol documents it: the handle is
// resolved to a DID (com.atproto.identity.resolveHandle), and the session
// created for it (com.atproto.server.createSession) carries the DID
// document, whose #atproto_pds service names the account's PDS (here, this
// server).

// resolveHandle serves GET /xrpc/com.atproto.identity.resolveHandle.
func (b *Bluesky) resolveHandle(r *http.Request, _ *bskyCall) reply {
	h := strings.TrimPrefix(r.URL.Query().Get("handle"), "@")
	if h == "" {
		return bskyError(http.StatusBadRequest, "InvalidRequest", `Error: Params must have the property "handle"`)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range b.accounts {
		if strings.EqualFold(a.Handle, h) {
			return reply{status: http.StatusOK, body: map[string]any{"did": a.DID}}
		}
	}
	return bskyError(http.StatusBadRequest, "InvalidRequest", "Unable to resolve handle")
}

// didDoc is the DID document of did on the PDS that r reached.
func didDoc(r *http.Request, did, handle string) map[string]any {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return map[string]any{
		"@context":    []string{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"},
		"id":          did,
		"alsoKnownAs": []string{"at://" + handle},
		"service": []map[string]string{{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
			"serviceEndpoint": scheme + "://" + r.Host}},
	}
}

package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestBlueskyFacetRanges: a link facet must cover its link's own bytes; a
// range counted in characters (or UTF-16 units) lands elsewhere in a text
// with accents or emoji before the link and is refused.
func TestBlueskyFacetRanges(t *testing.T) {
	b, srv := StartBluesky(BlueskyOptions{})
	t.Cleanup(srv.Close)
	b.AddAccount(BlueskyAccount{DID: "did:plc:abc", Handle: "a.example", AppPassword: "pw"})
	post := func(path, bearer string, body any) (int, map[string]any) {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", srv.URL+"/xrpc/"+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	status, sess := post("com.atproto.server.createSession", "", map[string]string{"identifier": "a.example", "password": "pw"})
	if status != 200 || strings.Count(sess["accessJwt"].(string), ".") != 2 {
		t.Fatalf("createSession: %d %v", status, sess)
	}
	access := sess["accessJwt"].(string)
	text := "Café 👩‍👩‍👧 https://n.example/a"
	record := func(start, end int) map[string]any {
		return map[string]any{"repo": "did:plc:abc", "collection": "app.bsky.feed.post", "record": map[string]any{
			"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-04-01T09:00:00.000Z",
			"facets": []any{map[string]any{
				"index":    map[string]int{"byteStart": start, "byteEnd": end},
				"features": []any{map[string]string{"$type": "app.bsky.richtext.facet#link", "uri": "https://n.example/a"}},
			}},
		}}
	}
	byteStart := strings.Index(text, "https://")
	runeStart := len([]rune(text[:byteStart]))
	for _, c := range []struct{ start, end, want int }{
		{byteStart, len(text), 200},
		{runeStart, runeStart + len("https://n.example/a"), 400},
		{byteStart, len(text) + 1, 400},
	} {
		status, out := post("com.atproto.repo.createRecord", access, record(c.start, c.end))
		if status != c.want || (c.want == 400 && out["error"] != "InvalidRequest") {
			t.Errorf("facet %d..%d: %d %v", c.start, c.end, status, out)
		}
	}
	if status, out := post("com.atproto.repo.createRecord", "", record(byteStart, len(text))); status != 401 ||
		out["error"] != "AuthenticationRequired" {
		t.Errorf("no token: %d %v", status, out)
	}
	if n := len(b.Posts()); n != 1 {
		t.Errorf("%d posts", n)
	}
}

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
		return xrpcPost(t, srv.URL, path, bearer, "application/json", raw)
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

// TestBlueskyBlobCIDs: an uploaded blob's ref is its real CID (CIDv1, raw,
// sha2-256, base32), and a record's thumb must point at an uploaded blob
// with its stored mimeType and size, as the PDS checks.
func TestBlueskyBlobCIDs(t *testing.T) {
	b, srv := StartBluesky(BlueskyOptions{})
	t.Cleanup(srv.Close)
	b.AddAccount(BlueskyAccount{DID: "did:plc:abc", Handle: "a.example", AppPassword: "pw"})
	do := func(path, bearer, ctype string, body []byte) (int, map[string]any) {
		t.Helper()
		return xrpcPost(t, srv.URL, path, bearer, ctype, body)
	}
	_, sess := do("com.atproto.server.createSession", "", "application/json", []byte(`{"identifier":"a.example","password":"pw"}`))
	access, _ := sess["accessJwt"].(string)
	status, up := do("com.atproto.repo.uploadBlob", access, "image/png", []byte("hello world"))
	blob, _ := up["blob"].(map[string]any)
	ref, _ := blob["ref"].(map[string]any)
	if status != 200 || ref["$link"] != "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e" {
		t.Fatalf("uploadBlob: %d %v", status, up)
	}
	card := func(link, mime string, size int) []byte {
		raw, _ := json.Marshal(map[string]any{"repo": "did:plc:abc", "collection": "app.bsky.feed.post", "record": map[string]any{
			"$type": "app.bsky.feed.post", "text": "t", "createdAt": "2026-04-01T09:00:00.000Z",
			"embed": map[string]any{"$type": "app.bsky.embed.external", "external": map[string]any{
				"uri": "https://n.example/a", "title": "T", "description": "D",
				"thumb": map[string]any{"$type": "blob", "ref": map[string]string{"$link": link}, "mimeType": mime, "size": size}}},
		}})
		return raw
	}
	good := ref["$link"].(string)
	for _, c := range []struct {
		name       string
		link, mime string
		size, want int
	}{
		{"the uploaded blob", good, "image/png", 11, 200},
		{"a made-up CID", "bafkreiaaaa", "image/png", 11, 400},
		{"a dag-cbor CID", cidV1(codecDagCBOR, []byte("hello world")), "image/png", 11, 400},
		{"another mimeType", good, "image/jpeg", 11, 400},
		{"another size", good, "image/png", 12, 400},
		{"a blob never uploaded", cidV1(codecRaw, []byte("other")), "image/png", 5, 400},
	} {
		if status, out := do("com.atproto.repo.createRecord", access, "application/json", card(c.link, c.mime, c.size)); status != c.want {
			t.Errorf("%s: %d %v", c.name, status, out)
		}
	}
	posts := b.Posts()
	if len(posts) != 1 || posts[0].Embed.Thumb == nil || posts[0].Embed.Thumb.CID != good {
		t.Fatalf("posts %+v", posts)
	}
	if codec, _, err := parseCID(posts[0].CID); err != nil || codec != codecDagCBOR {
		t.Errorf("record CID %s: codec %x, %v", posts[0].CID, codec, err)
	}
}

// xrpcPost posts body to an XRPC method and decodes the JSON answer.
func xrpcPost(t *testing.T, base, nsid, bearer, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/xrpc/"+nsid, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
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

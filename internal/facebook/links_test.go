package facebook

import (
	"encoding/json"
	"testing"
)

// TestPostLinksFromAttachments: a post's link is read from its attachment,
// the unshimmed URL or the destination of Facebook's l.facebook.com
// redirect, since Graph no longer gives the link field of Page posts.
func TestPostLinksFromAttachments(t *testing.T) {
	var p listedPost
	raw := `{"id":"1_2","attachments":{"data":[{"url":"https://l.facebook.com/l.php?u=https%3A%2F%2Fnews.example%2Fa%3Fx%3D1&h=AT1",
		"target":{"url":"https://l.facebook.com/l.php?u=https%3A%2F%2Fnews.example%2Fb&h=AT2"}}]}}`
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		t.Fatal(err)
	}
	got := p.links()
	if len(got) != 2 || got[0] != "https://news.example/a?x=1" || got[1] != "https://news.example/b" {
		t.Errorf("links %q", got)
	}
	if unshim("https://news.example/direct") != "https://news.example/direct" {
		t.Error("a direct link changed")
	}
}

package emulator

import (
	"encoding/json"
	"net/url"
	"testing"
)

// TestGraphStateRoundTrip: a Graph restored from another's State, through
// JSON, has the same posts, engagement and page listing order, and gives
// its next post a new id; a state with a malformed id is refused.
func TestGraphStateRoundTrip(t *testing.T) {
	g, _, ids := graphWithStories(t)
	auth := bearer(testToken)
	b, err := json.Marshal(g.State())
	if err != nil {
		t.Fatal(err)
	}
	var st GraphState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}

	g2, srv2 := startTestGraph(t, GraphOptions{})
	if err := g2.Restore(st); err != nil {
		t.Fatal(err)
	}
	if p, ok := g2.Post(ids[1]); !ok || p.Engagement.Reactions != 12 {
		t.Errorf("restored post %s: %+v, %v", ids[1], p, ok)
	}
	list := call(t, srv2, "GET", "/v25.0/"+testPage+"/posts", url.Values{"fields": {"id"}}, auth)
	data, _ := list.body["data"].([]any)
	if len(data) != 3 || data[0].(map[string]any)["id"] != ids[2] {
		t.Errorf("restored listing %+v, want the 3 posts newest first", data)
	}
	next := call(t, srv2, "POST", "/v25.0/"+testPage+"/feed", postForm("Story 3", ""), auth)
	for _, id := range ids {
		if next.body["id"] == id {
			t.Errorf("the restored emulation gave id %s again", id)
		}
	}
	if err := g2.Restore(GraphState{Posts: []GraphPost{{ID: "1001-5", PageID: testPage}}}); err == nil {
		t.Error("a post id without its counter was restored")
	}
}

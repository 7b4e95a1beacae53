package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestMastodonLength(t *testing.T) {
	for _, c := range []struct {
		text string
		want int
	}{
		{"hello", 5},
		{"see https://news.example/a/very/long/path/that/goes/on?x=1&y=2", 4 + 23},
		{"👩‍👩‍👧 e\u0301", 3}, // a ZWJ family and a combining accent are one character each
		{"two https://a.example and http://b.example.", 4 + 23 + 5 + 23 + 1},
	} {
		if got := MastodonLength(c.text); got != c.want {
			t.Errorf("MastodonLength(%q) = %d, want %d", c.text, got, c.want)
		}
	}
}

// TestMastodonFormPostAndPaging: the API takes form bodies as well as JSON,
// renders links as anchors whose shown text is shortened, and pages account
// statuses with max_id and a Link header.
func TestMastodonFormPostAndPaging(t *testing.T) {
	m, srv := StartMastodon(MastodonOptions{APILimit: 6})
	t.Cleanup(srv.Close)
	m.AddAccount(MastodonAccount{ID: "1", Username: "news", Token: "tok"})
	call := func(method, path string, form url.Values) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var raw json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&raw)
		return resp, raw
	}
	link := "https://news.example/2026/04/01/a-rather-long-story-slug?a=1&b=2"
	for range 3 {
		if resp, body := call("POST", "/api/v1/statuses", url.Values{"status": {"Story " + link}}); resp.StatusCode != 200 {
			t.Fatalf("post: %d %s", resp.StatusCode, body)
		}
	}
	resp, body := call("GET", "/api/v1/accounts/1/statuses?limit=2", nil)
	var page []struct {
		ID      string `json:"id"`
		Content string `json:"content"`
	}
	if err := json.Unmarshal(body, &page); err != nil || len(page) != 2 {
		t.Fatalf("page: %v %s", err, body)
	}
	if !strings.Contains(page[0].Content, `href="https://news.example/2026/04/01/a-rather-long-story-slug?a=1&amp;b=2"`) ||
		!strings.Contains(page[0].Content, `<span class="ellipsis">`) {
		t.Errorf("content = %s", page[0].Content)
	}
	if next := resp.Header.Get("Link"); !strings.Contains(next, "max_id="+page[1].ID+`>; rel="next"`) {
		t.Errorf("Link = %q", next)
	}
	if resp.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("remaining = %q", resp.Header.Get("X-RateLimit-Remaining"))
	}
	_, body = call("GET", "/api/v1/accounts/1/statuses?limit=2&max_id="+page[1].ID, nil)
	if err := json.Unmarshal(body, &page); err != nil || len(page) != 1 {
		t.Fatalf("second page: %v %s", err, body)
	}
	call("GET", "/api/v1/accounts/verify_credentials", nil)
	if resp, _ := call("GET", "/api/v1/accounts/verify_credentials", nil); resp.StatusCode != http.StatusTooManyRequests ||
		resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("over the API limit: %d", resp.StatusCode)
	}
}

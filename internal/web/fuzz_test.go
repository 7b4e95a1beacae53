package web

import (
	"errors"
	"testing"
)

// FuzzWebhookPayload: the parser never panics, answers either items or a
// *fieldError, and never returns more items than the cap, whatever the body
// (capped, as the handler caps it, at 1 MiB).
func FuzzWebhookPayload(f *testing.F) {
	for _, seed := range []string{
		`{"url":"https://a.example/1","title":"One"}`,
		`[{"url":"https://a.example/1","title":"One","categories":["a"],"targets":["x"],"published_at":1772380800}]`,
		`[{"url":"https://a.example/1","title":"<b>One</b>","published_at":"2026-03-01T10:00:00Z","priority":"breaking"},{}]`,
		`{"url":"https://a.example/1","title":"t","published_at":1e300}`,
		`[[[[[[[[[[`,
		`{"url":"\u0000","title":"\ud800"}`,
		`   `,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > maxWebhookBody {
			t.Skip()
		}
		items, err := parseWebhookPayload(body)
		if err != nil {
			var fe *fieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *fieldError", err)
			}
			if items != nil {
				t.Fatalf("items %v returned with an error", items)
			}
			return
		}
		if len(items) == 0 || len(items) > maxItems {
			t.Fatalf("%d items", len(items))
		}
		for _, it := range items {
			if it.URL == "" || it.Title == "" || len(it.URL) > maxURLLen || len(it.Categories) > maxCategories || len(it.Targets) > maxTargets {
				t.Fatalf("item escaped validation: %+v", it)
			}
			if checkHTTPURL(it.URL) != nil {
				t.Fatalf("invalid URL accepted: %q", it.URL)
			}
		}
	})
}

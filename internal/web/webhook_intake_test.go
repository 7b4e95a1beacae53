package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/herald"
)

// floodDefault is publish.max_new_per_poll's default.
const floodDefault = 10

// TestWebhookIntakeRules checks that the webhook goes through the intake
// rules: the filters of the source an article is recorded under, plain
// text without bidirectional controls, and no flood limit (the newsroom
// signs what it sends).
func TestWebhookIntakeRules(t *testing.T) {
	opinion, err := herald.NewFilter(herald.FilterRules{}, herald.FilterRules{Categories: []string{"Opinion"}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(o *Options) {
		o.Webhook.Rules = func(source string, base herald.IntakeRules) herald.IntakeRules {
			if source == "mexico" {
				base.Targets = append(base.Targets, herald.IntakeTarget{Account: "fb_page", Filter: opinion})
			}
			return base
		}
	})
	var items []string
	items = append(items, `{"url":"https://news.example/op","title":"Why \u202eit fails","section":"mexico","categories":["opinion"]}`)
	for i := range 2 * floodDefault {
		items = append(items, fmt.Sprintf(`{"url":"https://news.example/n%d","title":"N%d","targets":["x_main"]}`, i, i))
	}
	code, m := f.post(t, "["+strings.Join(items, ",")+"]", nil)
	if code != http.StatusAccepted {
		t.Fatalf("status %d %v", code, m)
	}
	ctx := context.Background()
	jobs, err := f.store.ListJobs(ctx, herald.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	pending, skipped := 0, 0
	for _, j := range jobs {
		switch j.State {
		case herald.JobPending:
			pending++
		case herald.JobSkipped:
			skipped++
			if j.Account != "fb_page" || j.SkipReason != "filtered (exclude categories: Opinion)" || j.Article.Title != "Why it fails" {
				t.Errorf("skipped job %+v (article %q)", j, j.Article.Title)
			}
		}
	}
	if pending != 2*floodDefault || skipped != 1 {
		t.Errorf("%d pending, %d skipped; want %d and 1 (no flood limit on the webhook)", pending, skipped, 2*floodDefault)
	}
}

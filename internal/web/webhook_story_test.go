package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// TestWebhookStoryInstructions checks the per-story instructions of the
// payload: text for all networks or per network with hashtags, no_post,
// post_at and review, each decided by the intake rules and kept on the
// story's jobs.
func TestWebhookStoryInstructions(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Webhook.Rules = func(_ string, base herald.IntakeRules) herald.IntakeRules {
			base.Networks = map[string]herald.Network{"x_main": herald.Twitter, "fb_page": herald.Facebook}
			return base
		}
	})
	postAt := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Second)
	body := `[
	{"url":"https://news.example/own","title":"Own words","targets":["x_main","fb_page"],
	 "text":{"x":"Short for X","all":"Longer for everyone"},"hashtags":["#Storm","Coast"]},
	{"url":"https://news.example/quiet","title":"Not for social","targets":["x_main"],"no_post":true},
	{"url":"https://news.example/later","title":"Embargoed","targets":["x_main"],"post_at":"` + postAt.Format(time.RFC3339) + `"},
	{"url":"https://news.example/check","title":"Sensitive","targets":["x_main"],"review":true,"text":"Careful wording"}]`
	if code, m := f.post(t, body, nil); code != http.StatusAccepted {
		t.Fatalf("status %d %v", code, m)
	}
	jobs, err := f.store.ListJobs(context.Background(), herald.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]herald.Job{}
	for _, j := range jobs {
		got[j.Article.Title+"/"+j.Account] = j
	}
	for key, want := range map[string]struct {
		state  herald.JobState
		text   string
		reason string
	}{
		"Own words/x_main":      {herald.JobPending, "Short for X #Storm #Coast", ""},
		"Own words/fb_page":     {herald.JobPending, "Longer for everyone #Storm #Coast", ""},
		"Not for social/x_main": {herald.JobSkipped, "", herald.SkipNoPost},
		"Embargoed/x_main":      {herald.JobPending, "", ""},
		"Sensitive/x_main":      {herald.JobHeld, "Careful wording", ""},
	} {
		j, ok := got[key]
		if !ok {
			t.Errorf("%s: no job", key)
			continue
		}
		if j.State != want.state || j.Text != want.text || j.SkipReason != want.reason {
			t.Errorf("%s: %s %q %q, want %s %q %q", key, j.State, j.Text, j.SkipReason, want.state, want.text, want.reason)
		}
	}
	if due := got["Embargoed/x_main"].NextAttemptAt; !due.Equal(postAt) {
		t.Errorf("embargoed post due %v, want %v", due, postAt)
	}
}

func TestWebhookStoryInstructionErrors(t *testing.T) {
	f := newFixture(t, nil)
	for _, tt := range []struct{ name, body, field, msg string }{
		{"text not text", `{"url":"https://news.example/1","title":"t","text":7}`, "text", "must be a string"},
		{"text network", `{"url":"https://news.example/1","title":"t","text":{"myspace":"hi"}}`, "text.myspace", "unknown network"},
		{"text too long", `{"url":"https://news.example/1","title":"t","text":"` + strings.Repeat("a", 5001) + `"}`, "text", "too long"},
		{"no_post", `{"url":"https://news.example/1","title":"t","no_post":"yes"}`, "no_post", "true or false"},
		{"review", `[{"url":"https://news.example/1","title":"t","review":1}]`, "[0].review", "true or false"},
		{"post_at", `{"url":"https://news.example/1","title":"t","post_at":"tomorrow"}`, "post_at", "RFC 3339"},
		{"hashtag", `{"url":"https://news.example/1","title":"t","text":"x","hashtags":["New York"]}`, "hashtags[0]", "one word"},
		{"hashtags without text", `{"url":"https://news.example/1","title":"t","hashtags":["Storm"]}`, "hashtags", "needs text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, m := f.post(t, tt.body, nil)
			field, _ := m["field"].(string)
			msg, _ := m["error"].(string)
			if code != http.StatusBadRequest || field != tt.field || !strings.Contains(msg, tt.msg) {
				t.Errorf("got %d %v, want 400 on %q with %q", code, m, tt.field, tt.msg)
			}
		})
	}
}

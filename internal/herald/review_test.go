package herald

import (
	"testing"
	"time"
)

func TestPrepareReviewAndStoryInstructions(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	rules := IntakeRules{
		Source:         "world",
		Targets:        []IntakeTarget{{Account: "x_main"}, {Account: "fb_page"}, {Account: "m_one"}},
		ReviewAccounts: map[string]bool{"fb_page": true},
		Networks:       map[string]Network{"x_main": Twitter, "fb_page": Facebook, "m_one": Mastodon},
	}
	it := ArticleInput{URL: "https://example.com/a", Title: "A", Story: Instructions{
		Text:     map[string]string{"": "For everyone", "twitter": "For X"},
		Hashtags: []string{"#Elections", "Mexico"},
		PostAt:   now.Add(time.Hour),
	}}
	got := rules.Prepare([]ArticleInput{it}, now)[0]
	if !got.Hold["fb_page"] || got.Hold["x_main"] || got.Hold["m_one"] {
		t.Errorf("hold = %v, want fb_page only (the account reviews)", got.Hold)
	}
	for acct, want := range map[string]string{
		"x_main": "For X #Elections #Mexico", "fb_page": "For everyone #Elections #Mexico", "m_one": "For everyone #Elections #Mexico",
	} {
		if got.Text[acct] != want {
			t.Errorf("text[%s] = %q, want %q", acct, got.Text[acct], want)
		}
	}
	plans := PlanJobs(got, Article{}, true, true)
	if len(plans) != 3 || !plans[1].Held || plans[0].Held || plans[0].Due(now) != now.Add(time.Hour) {
		t.Errorf("plans = %+v", plans)
	}

	rules.Review = true // the source reviews everything
	it.Story = Instructions{NoPost: true}
	got = rules.Prepare([]ArticleInput{it}, now)[0]
	if len(got.Hold) != 3 || got.Text != nil {
		t.Errorf("source review: hold = %v, text = %v", got.Hold, got.Text)
	}
	for _, acct := range got.Targets {
		if got.Skip[acct] != SkipNoPost {
			t.Errorf("skip[%s] = %q, want %q", acct, got.Skip[acct], SkipNoPost)
		}
	}
	rules.Review, rules.ReviewAccounts = false, nil
	it.Story = Instructions{Review: true}
	if got = rules.Prepare([]ArticleInput{it}, now)[0]; len(got.Hold) != 3 {
		t.Errorf("story review: hold = %v, want every target", got.Hold)
	}
	if due := (PlannedJob{PostAt: now.Add(-time.Hour)}).Due(now); !due.Equal(now) {
		t.Errorf("a post_at in the past is due %v, want now", due)
	}
}

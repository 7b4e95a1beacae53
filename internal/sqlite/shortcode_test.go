package sqlite_test

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// A short code is found without counting a click, so link-preview bots can
// be redirected from any post, however old, without inflating its clicks.
func TestFindJobByShortCode(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if err := db.SyncSources(ctx, []herald.SourceSpec{{Name: "news", URL: "https://news.example/rss"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncAccounts(ctx, []herald.Account{{ID: "x_main", Network: herald.Twitter}}); err != nil {
		t.Fatal(err)
	}
	src, err := db.GetSource(ctx, "news")
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.SaveArticles(ctx, src.ID, []herald.ArticleInput{{URL: "https://news.example/a", Title: "A",
		Announce: true, Targets: []string{"x_main"}}}, now)
	if err != nil || len(res) != 1 || len(res[0].Jobs) != 1 {
		t.Fatalf("save: %v, %+v", err, res)
	}
	job, err := db.GetJob(ctx, res[0].Jobs[0])
	if err != nil || job.ShortCode == "" {
		t.Fatalf("job %+v: %v", job, err)
	}

	got, err := db.FindJobByShortCode(ctx, job.ShortCode)
	if err != nil || got.ID != job.ID || got.Article == nil || got.Article.URL != "https://news.example/a" {
		t.Fatalf("find: %+v, %v", got, err)
	}
	if _, err := db.RecordClick(ctx, job.ShortCode, now); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := db.FindJobByShortCode(ctx, job.ShortCode); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := db.GetJob(ctx, job.ID); got.Clicks != 1 {
		t.Errorf("clicks = %d after one click and three look-ups, want 1", got.Clicks)
	}
	if _, err := db.FindJobByShortCode(ctx, "nosuchcode"); !errors.Is(err, herald.ErrNotFound) {
		t.Errorf("unknown code: %v, want ErrNotFound", err)
	}
}

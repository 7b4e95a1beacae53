package review

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlite"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// heldStore is a SQLite store with one post held since t0 and another
// since t0+30m, both for x_main; it returns their job IDs.
func heldStore(t *testing.T, t0 time.Time) (*sqlite.DB, []int64) {
	t.Helper()
	ctx := context.Background()
	db := teststore.SQLite(t)
	src, err := db.PushSource(ctx, "webhook")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, at := range []time.Time{t0, t0.Add(30 * time.Minute)} {
		rs, err := db.SaveArticles(ctx, src.ID, []herald.ArticleInput{{URL: "https://news.example/" + string(rune('a'+i)),
			Title: "Held", Announce: true, Targets: []string{"x_main"}, Hold: map[string]bool{"x_main": true}}}, at)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rs[0].Jobs[0])
	}
	return db, ids
}

func TestSweepReleasesAfterTheTimeout(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	for _, drop := range []bool{false, true} {
		db, ids := heldStore(t, t0)
		now, woken := t0, 0
		s := &Sweeper{Store: db, Timeout: time.Hour, Drop: drop, Now: func() time.Time { return now }, Wake: func() { woken++ }}
		for _, step := range []struct {
			at   time.Duration
			want int
		}{{59 * time.Minute, 0}, {time.Hour, 1}, {time.Hour + 29*time.Minute, 0}, {90 * time.Minute, 1}} {
			now = t0.Add(step.at)
			n, err := s.Sweep(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n != step.want {
				t.Errorf("drop %v, at +%s: released %d, want %d", drop, step.at, n, step.want)
			}
		}
		want, reason, wakes := herald.JobPending, "", 2
		if drop {
			want, reason, wakes = herald.JobSkipped, herald.SkipReviewTimeout, 0
		}
		for _, id := range ids {
			j, err := db.GetJob(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if j.State != want || j.SkipReason != reason {
				t.Errorf("drop %v: job %d %s %q, want %s %q", drop, id, j.State, j.SkipReason, want, reason)
			}
		}
		if woken != wakes {
			t.Errorf("drop %v: dispatcher woken %d times, want %d", drop, woken, wakes)
		}
	}
}

func TestRunWithoutTimeoutWaits(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (&Sweeper{}).Run(ctx); err != nil {
		t.Fatal(err)
	}
}

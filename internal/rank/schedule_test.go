package rank

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

func TestDue(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	slack := 7*time.Minute + 30*time.Second // half of a 15-minute interval
	for _, tc := range []struct {
		age, since time.Duration // post age; time since its last reading (0: never read)
		want       bool
	}{
		{age: 10 * time.Minute, since: 0, want: true},
		{age: 10 * time.Minute, since: time.Minute, want: true},      // under an hour: every pass
		{age: 59 * time.Minute, since: 15 * time.Minute, want: true}, //
		{age: 2 * time.Hour, since: 15 * time.Minute, want: false},   // under a day: hourly
		{age: 2 * time.Hour, since: 52 * time.Minute, want: false},
		{age: 2 * time.Hour, since: 53 * time.Minute, want: true}, // an hour less the slack
		{age: 2 * time.Hour, since: 2 * time.Hour, want: true},
		{age: 23 * time.Hour, since: 0, want: true},
		{age: 25 * time.Hour, since: time.Hour, want: false}, // older: every six hours
		{age: 25 * time.Hour, since: 5 * time.Hour, want: false},
		{age: 25 * time.Hour, since: 5*time.Hour + 53*time.Minute, want: true},
		{age: 6 * 24 * time.Hour, since: 7 * time.Hour, want: true},
	} {
		p := herald.Post{SentAt: now.Add(-tc.age)}
		if tc.since > 0 {
			p.LastCollectedAt = now.Add(-tc.since)
		}
		if got := due(p, now, slack); got != tc.want {
			t.Errorf("due(age %v, last read %v ago) = %v, want %v", tc.age, tc.since, got, tc.want)
		}
	}
}

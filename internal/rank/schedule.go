package rank

import (
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// tier is one step of the reading schedule: posts younger than age are read
// again once every has passed since their last reading (0: on every pass).
type tier struct {
	age, every time.Duration
}

// schedule is how often a post's engagement is read, by its age. Engagement
// grows fastest in a post's first hours, so fresh posts are read on every
// pass (every ranking.collect_interval), posts younger than a day hourly,
// and older ones every six hours until ranking.collect_for. With X billing a
// post read once per UTC day, a post costs about one read a day after its
// first.
var schedule = []tier{
	{age: time.Hour, every: 0},
	{age: 24 * time.Hour, every: time.Hour},
	{age: 1 << 62, every: 6 * time.Hour},
}

// due reports whether post p should be read at now. slack allows for passes
// that come a little early: a post read an hour ago less slack is due again
// on an hourly tier, so that ticker jitter does not push it to the next pass.
func due(p herald.Post, now time.Time, slack time.Duration) bool {
	if p.LastCollectedAt.IsZero() {
		return true
	}
	age := now.Sub(p.SentAt)
	for _, t := range schedule {
		if age < t.age {
			return t.every == 0 || now.Sub(p.LastCollectedAt)+slack >= t.every
		}
	}
	return false
}

package herald

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/testkit"
)

func TestShortDuration(t *testing.T) {
	testkit.Table(t, "ShortDuration", ShortDuration, map[time.Duration]string{
		0: "0s", 10 * time.Second: "10s", 2 * time.Minute: "2m", 48 * time.Hour: "48h",
		90 * time.Minute: "1h30m", 1500 * time.Millisecond: "1.5s", time.Hour + time.Second: "1h0m1s",
	})
}

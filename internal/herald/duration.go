package herald

import (
	"strings"
	"time"
)

// ShortDuration writes a duration without its zero tail, as people write
// it and as Herald's configuration accepts it back: 48h, 1h30m, 45s (not
// 48h0m0s).
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

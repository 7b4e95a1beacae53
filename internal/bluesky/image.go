package bluesky

import (
	"net/http"
	"time"

	"github.com/heraldhq/herald/internal/netguard"
)

// newImageClient fetches cards' images under guard, bounded in time end to
// end: an image URL comes from a feed, so it may point anywhere.
func newImageClient(timeout time.Duration, guard netguard.Guard) *http.Client {
	t := guard.Transport()
	t.ResponseHeaderTimeout = timeout
	return &http.Client{Timeout: timeout, Transport: t}
}

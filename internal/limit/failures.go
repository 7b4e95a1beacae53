// Package limit counts what clients get wrong, so that a client guessing a
// secret is slowed down wherever it guesses.
package limit

import (
	"sync"
	"time"
)

// maxClients bounds the memory of one minute's counts: past it, the
// remaining clients share one count.
const maxClients = 10000

// Failures counts each client's failures in the current minute of its
// clock; a client with Max failures in a minute is refused until the next.
type Failures struct {
	max int
	now func() time.Time

	mu     sync.Mutex
	minute time.Time
	counts map[string]int
}

// NewFailures returns a counter that allows max failures per client and
// minute of now.
func NewFailures(max int, now func() time.Time) *Failures {
	if now == nil {
		now = time.Now
	}
	return &Failures{max: max, now: now, counts: map[string]int{}}
}

// key returns the count's key of client. f.mu is held.
func (f *Failures) key(client string) string {
	if m := f.now().Truncate(time.Minute); !m.Equal(f.minute) {
		f.minute, f.counts = m, map[string]int{}
	}
	if _, ok := f.counts[client]; !ok && len(f.counts) >= maxClients {
		return "*"
	}
	return client
}

// Allow reports whether client is still under the limit this minute.
func (f *Failures) Allow(client string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[f.key(client)] < f.max
}

// Add counts one failure of client.
func (f *Failures) Add(client string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts[f.key(client)]++
}

// RetryAfter is the number of seconds until the next minute, for the
// Retry-After header of a refusal.
func (f *Failures) RetryAfter() int {
	now := f.now()
	return max(1, int(now.Truncate(time.Minute).Add(time.Minute).Sub(now).Seconds()+0.5))
}

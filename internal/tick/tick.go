// Package tick holds the loop the daemon's background parts share: do a
// piece of work now and again at each tick until the context ends.
package tick

import (
	"context"
	"time"
)

// Every calls fn at once and then every d until ctx ends; it then returns
// nil, so that a part's Run can return it. d must be positive.
func Every(ctx context.Context, d time.Duration, fn func(context.Context)) error {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

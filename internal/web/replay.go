package web

import (
	"context"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// replayKey is what a webhook request is remembered by: its MAC, which
// covers the timestamp and the body (its signature, in hex).
func replayKey(secret, timestamp string, body []byte) string {
	return strings.TrimPrefix(herald.SignWebhook(secret, timestamp, body), "sha256=")
}

// acceptOnce remembers a verified webhook request until its timestamp's
// window ends and reports whether it was new (false: a replay). It returns
// the function that forgets it again, for a request that could not be
// recorded.
func (s *Server) acceptOnce(ctx context.Context, key string, sent, now time.Time) (fresh bool, forget func(), err error) {
	g := s.opts.Store
	fresh, err = g.RememberSignature(ctx, key, sent.Add(MaxClockSkew), now)
	forget = func() {
		// Forget even when the request's context has ended.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := g.ForgetSignature(fctx, key); err != nil {
			s.logger.Warn("webhook: forget a request that failed", "error", err)
		}
	}
	return fresh, forget, err
}

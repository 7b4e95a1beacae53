// Command herald posts a newsroom's stories to X, Facebook, Mastodon and
// Bluesky the moment they are published. See `herald --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // account time zones resolve in a static image without zoneinfo

	"github.com/heraldhq/herald/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, a second one kills at once: a way out should a
	// shutdown ever hang.
	context.AfterFunc(ctx, stop)
	code := cli.Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

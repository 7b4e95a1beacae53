package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/heraldhq/herald/internal/herald"
)

// progress is a progress bar on standard error for long work (creating and
// sending many jobs). It is drawn only when standard error is a terminal;
// otherwise, and on a nil *progress, every method does nothing, so callers
// never check.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress returns a bar counting to total, labelled what ("Sending").
func (a *App) newProgress(total int, what string) *progress {
	if total <= 0 || !isTerminal(a.Err()) {
		return &progress{}
	}
	w := a.Err()
	return &progress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("%-13s", what)),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionThrottle(50*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)}
}

// active reports whether the bar is drawn.
func (p *progress) active() bool { return p != nil && p.bar != nil }

// Add moves the bar n steps on.
func (p *progress) Add(n int) {
	if p != nil && p.bar != nil {
		_ = p.bar.Add(n)
	}
}

// Set moves the bar to n steps done.
func (p *progress) Set(n int) {
	if p != nil && p.bar != nil {
		_ = p.bar.Set(n)
	}
}

// Finish fills the bar and ends its line.
func (p *progress) Finish() {
	if p != nil && p.bar != nil {
		_ = p.bar.Finish()
	}
}

// watchJobs moves bar as jobs end, until the returned stop is called.
func watchJobs(ctx context.Context, st herald.Store, jobs []herald.Job, bar *progress) (stop func()) {
	if !bar.active() {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			n := 0
			for _, j := range jobs {
				if cur, err := st.GetJob(ctx, j.ID); err == nil && cur.State.Terminal() {
					n++
				}
			}
			bar.Set(n)
		}
	}()
	return func() { cancel(); <-done }
}

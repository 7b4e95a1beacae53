package bench

import (
	"context"
	"fmt"
	"net/http"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/bench/feedserver"
	"github.com/heraldhq/herald/internal/cputime"
	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/herald"
)

const feedItems = 50

// runPoll measures a first poll cycle over N feeds of 50 items (every feed
// new, its backlog recorded, nothing announced) and then an unchanged
// cycle (every feed a 304), both forced by advancing the clock.
func runPoll(ctx context.Context, e *env) []Result {
	n := e.size(10_000, 200)
	firstSize := fmt.Sprintf("%d feeds × %d items", n, feedItems)
	firstTarget, sameTarget := "≤ 30 s, peak RSS ≤ 150 MB", "≤ 3 s"
	srv := feedserver.Start(feedItems, time.Now())
	defer srv.Close()
	s, err := newStack(ctx, e, "poll", stackOptions{xAccounts: 1})
	if err != nil {
		return []Result{failed("first poll cycle", firstSize, firstTarget, err)}
	}
	defer s.Close()
	p := s.poller(srv, n, 5*time.Minute, []string{"x0"})

	resetPeak()
	start, cpu0, allocs0 := time.Now(), cputime.Used(), heapAllocs()
	err = p.PollOnce(ctx)
	took, cpu, peak, allocs := time.Since(start), cputime.Used()-cpu0, peakRSS(), heapAllocs()-allocs0
	if err == nil {
		err = checkSources(ctx, s.store, n, http.StatusOK, n*feedItems)
	}
	if err != nil {
		return []Result{failed("first poll cycle", firstSize, firstTarget, err)}
	}
	articles := float64(n * feedItems)
	// CPU and allocations are the whole process's: the feed server's too.
	first := Result{Scenario: "first poll cycle", Size: firstSize, Target: firstTarget,
		Result: fmt.Sprintf("%.1f s (CPU %.1f s, %.0f µs an article), peak RSS %.0f MB, %.0f articles/s", took.Seconds(),
			cpu.Seconds(), float64(cpu.Microseconds())/articles, mb(peak), articles/took.Seconds()),
		Met: took <= 30*time.Second && peak <= 150<<20,
		Metrics: map[string]float64{"feeds": float64(n), "seconds": took.Seconds(), "cpu_seconds": cpu.Seconds(),
			"peak_rss_mb": mb(peak), "cpu_us_per_article": float64(cpu.Microseconds()) / articles,
			"allocs_per_article": float64(allocs) / articles}}

	s.clock.Skip(time.Hour) // every feed due again
	settle(ctx)
	resetPeak()
	start, cpu0 = time.Now(), cputime.Used()
	err = p.PollOnce(ctx)
	took, cpu, peak = time.Since(start), cputime.Used()-cpu0, peakRSS()
	if err == nil {
		err = checkSources(ctx, s.store, n, http.StatusNotModified, n*feedItems)
	}
	sameSize := fmt.Sprintf("%d feeds", n)
	if err != nil {
		return []Result{first, failed("unchanged cycle (304s)", sameSize, sameTarget, err)}
	}
	return []Result{first, {Scenario: "unchanged cycle (304s)", Size: sameSize, Target: sameTarget,
		Result: fmt.Sprintf("%.2f s (CPU %.2f s), peak RSS %.0f MB", took.Seconds(), cpu.Seconds(), mb(peak)),
		Met:    took <= 3*time.Second,
		Metrics: map[string]float64{"feeds": float64(n), "seconds": took.Seconds(), "cpu_seconds": cpu.Seconds(),
			"peak_rss_mb": mb(peak)}}}
}

// heapAllocs counts the heap allocations the process has made.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// checkSources verifies that n feeds were polled with status (0: 200 or
// 304) and that the store holds articles articles.
func checkSources(ctx context.Context, st herald.Store, n, status, articles int) error {
	srcs, err := st.ListSources(ctx)
	if err != nil {
		return err
	}
	got, total := 0, 0
	for _, src := range srcs {
		if !strings.HasPrefix(src.Name, "feed-") {
			continue
		}
		got++
		total += src.ArticleCount
		okStatus := src.LastStatus == status || status == 0 && (src.LastStatus == 200 || src.LastStatus == 304)
		if !okStatus || src.LastError != "" {
			return fmt.Errorf("%s: status %d (want %d), error %q", src.Name, src.LastStatus, status, src.LastError)
		}
	}
	if got != n || total != articles {
		return fmt.Errorf("%d feeds with %d articles, want %d with %d", got, total, n, articles)
	}
	return nil
}

// runNewItems seeds N feeds, then publishes one new item in each and forces
// a cycle while the dispatcher runs: the time is from the cycle's start to
// the last of the N posts reaching the X emulation.
func runNewItems(ctx context.Context, e *env) []Result {
	n := e.size(300, 30)
	size := fmt.Sprintf("%d feeds × 1 new item", n)
	const target = "all posted ≤ 1.2 s after the cycle starts, peak RSS ≤ 35 MB"
	r, err := startPosting(ctx, e, "new-items", n)
	if err != nil {
		return []Result{failed("new items detected and posted", size, target, err)}
	}
	defer r.Close()
	want := make([]string, n)
	for i := range n {
		r.srv.Add(i, 1, time.Now())
		want[i] = feedserver.Title(i, feedItems)
	}
	r.s.clock.Skip(2 * time.Minute)
	resetPeak()
	start, cpu0 := time.Now(), cputime.Used()
	err = r.p.PollOnce(ctx)
	detected := time.Since(start) // every feed polled, its new item recorded with its job
	// The cycle's CPU (the whole process's: the feed server's too) over the
	// items the feeds served, nearly all of them known already.
	cycleCPU := cputime.Used() - cpu0
	var last time.Time
	if err == nil {
		last, err = r.posted(ctx, want, false)
	}
	peak, now := peakRSS(), rss()
	if err != nil {
		return []Result{failed("new items detected and posted", size, target, err)}
	}
	took := last.Sub(start)
	perItem := float64(cycleCPU.Nanoseconds()) / 1e3 / float64(n*(feedItems+1))
	return []Result{{Scenario: "new items detected and posted", Size: size, Target: target,
		Result: fmt.Sprintf("%d/%d posted, last %.0f ms after the cycle starts (all detected in %.0f ms, CPU %.0f ms, %.1f µs an item served); RSS %.0f MB (peak %.0f MB)",
			n, n, msOf(took), msOf(detected), msOf(cycleCPU), perItem, mb(now), mb(peak)),
		Met: took <= 1200*time.Millisecond && peak <= 35<<20,
		Metrics: map[string]float64{"posts": float64(n), "last_post_ms": msOf(took), "detected_ms": msOf(detected),
			"cycle_cpu_ms": msOf(cycleCPU), "cpu_us_per_item_served": perItem,
			"rss_mb": mb(now), "peak_rss_mb": mb(peak)}}}
}

// posting is a stack whose dispatcher runs, polling feeds of the feed
// server whose backlog is recorded already (not posted): what a new item
// in them becomes is a post on the X emulation.
type posting struct {
	srv  *feedserver.Server
	s    *stack
	p    *feed.Poller
	stop func() // the dispatcher's
}

// startPosting starts a posting run named name over feeds feeds, their
// backlog published an hour ago and polled once.
func startPosting(ctx context.Context, e *env, name string, feeds int) (*posting, error) {
	r := &posting{srv: feedserver.Start(feedItems, time.Now().Add(-time.Hour))}
	s, err := newStack(ctx, e, name, stackOptions{xAccounts: 1})
	if err != nil {
		r.srv.Close()
		return nil, err
	}
	r.s, r.p = s, s.poller(r.srv, feeds, time.Minute, []string{"x0"})
	r.stop = s.runDispatcher()
	if err := r.p.PollOnce(ctx); err != nil { // the backlog: recorded, not posted
		r.Close()
		return nil, err
	}
	settle(ctx)
	return r, nil
}

// posted waits for as many posts as wanted titles, gives a duplicate a
// moment to show, and checks them (checkPosts): when the last arrived.
func (r *posting) posted(ctx context.Context, want []string, ordered bool) (time.Time, error) {
	if err := waitFor(ctx, time.Minute, func() (bool, error) { return len(r.s.x.Posts()) >= len(want), nil }); err != nil {
		return time.Time{}, err
	}
	time.Sleep(100 * time.Millisecond)
	return checkPosts(r.s.x.Posts(), want, ordered)
}

func (r *posting) Close() {
	r.stop()
	r.s.Close()
	r.srv.Close()
}

// checkPosts verifies that posts are exactly one per wanted title (in that
// order when ordered) and returns when the last arrived.
func checkPosts(posts []emulator.XPost, want []string, ordered bool) (time.Time, error) {
	if len(posts) != len(want) {
		return time.Time{}, fmt.Errorf("%d posts received, want %d", len(posts), len(want))
	}
	index := make(map[string]int, len(want))
	for i, w := range want {
		index[w] = i
	}
	seen := make(map[int]bool, len(want))
	var last time.Time
	prev := -1
	for _, p := range posts {
		title := p.Text
		if k := strings.LastIndexByte(title, ' '); k > 0 {
			title = title[:k] // the default template: "{{.Title}} {{.URL}}"
		}
		i, ok := index[title]
		if !ok {
			return last, fmt.Errorf("unexpected post %q", p.Text)
		}
		if seen[i] {
			return last, fmt.Errorf("posted twice: %q", want[i])
		}
		seen[i] = true
		if ordered && i < prev {
			return last, fmt.Errorf("out of order: %q after %q", want[i], want[prev])
		}
		prev = i
		if p.CreatedAt.After(last) {
			last = p.CreatedAt
		}
	}
	return last, nil
}

// runBurst seeds one feed, then publishes 100 items in it at once (a second
// apart, as a CMS import does) and forces a cycle: every item must reach
// the X emulation once, oldest first.
func runBurst(ctx context.Context, e *env) []Result {
	const n = 100
	size := strconv.Itoa(n) + " items at once in one feed"
	const target = "all posted, once each, in order"
	r, err := startPosting(ctx, e, "burst", 1)
	if err != nil {
		return []Result{failed("burst", size, target, err)}
	}
	defer r.Close()
	want := make([]string, n)
	for k := range n {
		r.srv.Add(0, 1, time.Now().Add(time.Duration(k-n)*time.Second))
		want[k] = feedserver.Title(0, feedItems+k)
	}
	r.s.clock.Skip(2 * time.Minute)
	start := time.Now()
	err = r.p.PollOnce(ctx)
	var last time.Time
	if err == nil {
		last, err = r.posted(ctx, want, true)
	}
	if err != nil {
		return []Result{failed("burst", size, target, err)}
	}
	took := last.Sub(start)
	return []Result{{Scenario: "burst", Size: size, Target: target,
		Result: fmt.Sprintf("%d/%d posted once, in order; last %.0f ms after the cycle starts", n, n, msOf(took)),
		Met:    true, Metrics: map[string]float64{"posts": n, "last_post_ms": msOf(took)}}}
}

package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/cputime"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/web"
)

// runWebhook posts N articles to Herald's webhook one at a time, each once
// the previous one's post reached the X emulation, and measures the time
// from the request to the post arriving.
func runWebhook(ctx context.Context, e *env) []Result {
	n := e.size(1000, 100)
	size := fmt.Sprintf("%d articles, spacing off", n)
	const target = "p50 ≤ 10 ms, p99 ≤ 50 ms"
	fail := func(err error) []Result { return []Result{failed("webhook → post", size, target, err)} }
	s, err := newStack(ctx, e, "webhook", stackOptions{xAccounts: 1})
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	const secret = "bench-webhook-secret"
	srv := s.webServer(secret, []string{"x0"})
	wctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Run(wctx) }()
	defer func() { cancel(); <-served }()
	if err := waitFor(ctx, 10*time.Second, func() (bool, error) { return srv.Addr() != "", nil }); err != nil {
		return fail(fmt.Errorf("web server did not listen: %w", err))
	}
	stop := s.runDispatcher()
	defer stop()
	client := &http.Client{Timeout: 10 * time.Second}
	url := "http://" + srv.Addr() + "/hooks/articles"
	sent := make([]time.Time, n)
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("Webhook story %d: the council approves the budget for bridge repairs", i)
		body, _ := json.Marshal(map[string]string{"url": "https://news.example/hook/" + strconv.Itoa(i), "title": want[i]})
		sent[i] = time.Now()
		if err := postSigned(ctx, client, url, secret, body); err != nil {
			return fail(fmt.Errorf("article %d: %w", i, err))
		}
		select {
		case <-s.posted:
		case <-time.After(10 * time.Second):
			return fail(fmt.Errorf("article %d: no post within 10 s", i))
		case <-ctx.Done():
			return fail(ctx.Err())
		}
	}
	posts := s.x.Posts()
	if _, err := checkPosts(posts, want, true); err != nil {
		return fail(err)
	}
	lat := make([]time.Duration, n)
	for i, p := range posts {
		lat[i] = p.CreatedAt.Sub(sent[i])
	}
	p50, p99 := percentile(lat, 50), percentile(lat, 99)
	return []Result{{Scenario: "webhook → post", Size: size, Target: target,
		Result: fmt.Sprintf("p50 %.1f ms, p99 %.1f ms, max %.1f ms", msOf(p50), msOf(p99), msOf(lat[n-1])),
		Met:    p50 <= 10*time.Millisecond && p99 <= 50*time.Millisecond,
		Metrics: map[string]float64{"articles": float64(n), "p50_ms": msOf(p50), "p99_ms": msOf(p99),
			"max_ms": msOf(lat[n-1])}}}
}

// postSigned sends a webhook request signed as http.webhook_secret asks and
// expects 202.
func postSigned(ctx context.Context, client *http.Client, url, secret string, body []byte) error {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(web.TimestampHeader, ts)
	req.Header.Set(web.SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("webhook answered %s: %s", resp.Status, answer)
	}
	return nil
}

// dispatchAccounts is how many X accounts the throughput scenario spreads
// its jobs over (the dispatcher sends each account's jobs in order, one at
// a time, and up to dispatch.concurrency accounts at once).
const dispatchAccounts = 8

// runDispatch queues N jobs over several X accounts and a Facebook Page
// (spacing off, no API limits), then runs the dispatcher until all are sent.
func runDispatch(ctx context.Context, e *env) []Result {
	n := e.size(20_000, 1000)
	size := fmt.Sprintf("%d jobs, %d X accounts + 1 Page, spacing off", n, dispatchAccounts-1)
	const target = "≥ 1,000 jobs/s"
	fail := func(err error) []Result { return []Result{failed("dispatch throughput", size, target, err)} }
	s, err := newStack(ctx, e, "dispatch", stackOptions{xAccounts: dispatchAccounts - 1, fbAccounts: 1})
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	if err := queueJobs(ctx, s, n); err != nil {
		return fail(fmt.Errorf("queue jobs: %w", err))
	}
	start, cpu0 := time.Now(), cputime.Used()
	stop := s.runDispatcher()
	defer stop()
	// Counting 20,000 jobs every 2 ms took a quarter of the run's CPU: the
	// end is found to within 20 ms of a run of 10 s or more.
	err = waitEvery(ctx, 10*time.Minute, 20*time.Millisecond, func() (bool, error) {
		c, err := s.store.CountJobs(ctx, "")
		return c[herald.JobSent] >= n, err
	})
	took, cpu := time.Since(start), cputime.Used()-cpu0
	if err != nil {
		c, _ := s.store.CountJobs(ctx, "")
		return fail(fmt.Errorf("%w: jobs %v", err, c))
	}
	if got := len(s.x.Posts()) + len(s.graph.Posts()); got != n {
		return fail(fmt.Errorf("the emulations received %d posts, want %d", got, n))
	}
	rate := float64(n) / took.Seconds()
	return []Result{{Scenario: "dispatch throughput", Size: size, Target: target,
		Result: fmt.Sprintf("%.0f jobs/s (%d in %.1f s, CPU %.1f s)", rate, n, took.Seconds(), cpu.Seconds()),
		Met:    rate >= 1000,
		Metrics: map[string]float64{"jobs": float64(n), "jobs_per_s": rate, "seconds": took.Seconds(),
			"cpu_seconds": cpu.Seconds()}}}
}

// queueJobs records n announced articles through the store, each with one
// post job, spread over the stack's accounts in turn.
func queueJobs(ctx context.Context, s *stack, n int) error {
	src, err := s.store.PushSource(ctx, "bench")
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for lo := 0; lo < n; lo += 500 {
		items := make([]herald.ArticleInput, 0, 500)
		for i := lo; i < min(lo+500, n); i++ {
			items = append(items, herald.ArticleInput{URL: "https://news.example/queued/" + strconv.Itoa(i),
				GUID: "q" + strconv.Itoa(i), Title: fmt.Sprintf("Queued story %d about the bridge repairs", i),
				PublishedAt: now.Add(-time.Minute), Announce: true,
				Targets: []string{s.accounts[i%len(s.accounts)]}})
		}
		if _, err := s.store.SaveArticles(ctx, src.ID, items, now); err != nil {
			return err
		}
	}
	return nil
}

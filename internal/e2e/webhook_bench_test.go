package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
	"github.com/heraldhq/herald/internal/web"
)

const benchSecret = "webhook-secret-for-benchmarks"

// BenchmarkWebhookToPost measures how long an article takes from the CMS
// webhook request to the emulated X API receiving its post: `herald run`
// in-process on SQLite, one X account with no spacing (min_interval 0) and
// no rate limits. One op is one article; latency is the emulation's receive
// time minus the moment the request was sent, matched by link. The
// acceptance figure is over 1,000 articles (target p50 ≤ 10 ms, p99 ≤ 50 ms):
//
//	go test -run '^$' -bench WebhookToPost -benchtime 1000x ./internal/e2e
//
// "one-by-one" sends the next article once the previous one is posted (the
// latency of a lone article); "burst" sends them back to back, each request
// waiting only for its 202, so articles queue behind each other.
func BenchmarkWebhookToPost(b *testing.B) {
	b.Run("one-by-one", func(b *testing.B) { benchWebhookToPost(b, false) })
	b.Run("burst", func(b *testing.B) { benchWebhookToPost(b, true) })
}

func benchWebhookToPost(b *testing.B, burst bool) {
	rx := startReceivingX(b)
	hook := startBenchDaemon(b, rx.url)
	client := &http.Client{Timeout: 10 * time.Second}
	b.Cleanup(client.CloseIdleConnections)

	sent := make(map[string]time.Time, b.N)
	accepted := make(map[string]time.Time, b.N)
	links := make([]string, b.N)
	for i := range links {
		links[i] = fmt.Sprintf("https://news.example/bench/%d/story-%d", b.N, i)
	}
	b.ResetTimer()
	for i, link := range links {
		sent[link] = time.Now()
		if err := sendArticle(client, hook, link, fmt.Sprintf("Council approves the budget, story %d", i)); err != nil {
			b.Fatal(err)
		}
		accepted[link] = time.Now()
		if !burst {
			rx.wait(b, 1)
		}
	}
	if burst {
		rx.wait(b, b.N)
	}
	b.StopTimer()

	got := rx.received()
	lat := make([]time.Duration, 0, len(links))
	for _, link := range links {
		at, ok := got[link]
		if !ok {
			b.Fatalf("%s never posted", link)
		}
		lat = append(lat, at.Sub(sent[link]))
	}
	if len(got) != len(links) {
		b.Fatalf("%d distinct posts for %d articles", len(got), len(links))
	}
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(quantile(lat, q).Microseconds()) / 1000 }
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.90), "p90-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	// Where the time went: the webhook's answer (one SQLite transaction),
	// then the dispatcher (claim, compose, send). The post often reaches X
	// before the 202 reaches the sender.
	var toAccept, toPost []time.Duration
	for _, link := range links {
		toAccept = append(toAccept, accepted[link].Sub(sent[link]))
		toPost = append(toPost, got[link].Sub(accepted[link]))
	}
	slices.Sort(toAccept)
	slices.Sort(toPost)
	b.Logf("%d articles: request→202 p50 %s p99 %s; 202→X p50 %s p99 %s", len(links),
		quantile(toAccept, .5), quantile(toAccept, .99), quantile(toPost, .5), quantile(toPost, .99))
	b.ReportMetric(float64(len(links))/b.Elapsed().Seconds(), "posts/s")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// sendArticle posts one signed article to the webhook and expects a 202.
func sendArticle(client *http.Client, hook, link, title string) error {
	body, _ := json.Marshal(map[string]string{"url": link, "title": title})
	req, err := http.NewRequest(http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(web.TimestampHeader, ts)
	req.Header.Set(web.SignatureHeader, web.Sign(benchSecret, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("webhook answered %d: %s", resp.StatusCode, raw)
	}
	return nil
}

// receivingX is the X emulation behind a handler that notes when each post
// the emulation accepted arrived, by the link its text ends with.
type receivingX struct {
	url   string
	user  emulator.XUser
	posts chan struct{}

	mu sync.Mutex
	at map[string]time.Time // link → first accepted arrival
}

func startReceivingX(b *testing.B) *receivingX {
	b.Helper()
	rx := &receivingX{
		user: emulator.XUser{ID: "4001", Username: "daily_bench", ConsumerKey: "ck-bench", ConsumerSecret: "cs-bench",
			AccessToken: "x-bench-at", AccessTokenSecret: "x-bench-ats"},
		posts: make(chan struct{}, b.N+16),
		at:    make(map[string]time.Time, b.N),
	}
	x := emulator.NewX(emulator.XOptions{Users: []emulator.XUser{rx.user}, PostLimit: -1, PostLimit24h: -1, ReadLimit: -1})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/2/tweets" {
			x.ServeHTTP(w, r)
			return
		}
		arrived := time.Now()
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: w}
		x.ServeHTTP(sw, r)
		var p struct {
			Text string `json:"text"`
		}
		if sw.status != http.StatusCreated || json.Unmarshal(body, &p) != nil {
			return
		}
		fields := strings.Fields(p.Text)
		if len(fields) == 0 {
			return
		}
		link := fields[len(fields)-1]
		rx.mu.Lock()
		if _, seen := rx.at[link]; !seen {
			rx.at[link] = arrived
		}
		rx.mu.Unlock()
		rx.posts <- struct{}{}
	}))
	b.Cleanup(srv.Close)
	rx.url = srv.URL
	return rx
}

// wait waits for n more accepted posts, at most 30 s.
func (rx *receivingX) wait(b *testing.B, n int) {
	b.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for range n {
		select {
		case <-rx.posts:
		case <-timeout.C:
			b.Fatalf("timed out waiting for posts (%d received)", len(rx.received()))
		}
	}
}

func (rx *receivingX) received() map[string]time.Time {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	out := make(map[string]time.Time, len(rx.at))
	for k, v := range rx.at {
		out[k] = v
	}
	return out
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// startBenchDaemon runs `herald run` in-process with one X account at xURL
// and no feeds, and returns the webhook's URL once the server listens. The
// daemon is stopped, and must exit 0, at cleanup.
func startBenchDaemon(b *testing.B, xURL string) string {
	b.Helper()
	dir := b.TempDir()
	cfg := fmt.Sprintf(`database: {url: %q}
http: {addr: "127.0.0.1:0", webhook_secret: %q}
log: {format: json}
dispatch: {lease: 3s, timeout: 2s, shutdown_wait: 3s}
accounts:
  x_one: {network: twitter, api_base_url: %q, user_id: "4001", consumer_key: ck-bench, consumer_secret: cs-bench, access_token: x-bench-at, access_token_secret: x-bench-ats}
`, "sqlite:"+filepath.Join(dir, "herald.db"), benchSecret, xURL)
	cfgPath := filepath.Join(dir, "herald.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	r := runInProcess(b, cfgPath)
	logs := r.logs
	b.Cleanup(func() {
		if err := r.stopCleanly(); err != nil {
			b.Error(err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if l := logs.entries("http server listening"); len(l) == 1 {
			addr, _ := l[0]["addr"].(string)
			return "http://" + addr + "/hooks/articles"
		}
		r.running(b)
		if time.Now().After(deadline) {
			b.Fatalf("herald run did not listen within 10 s:\n%s", logs.tail(20))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// quantile is the q-quantile of sorted durations, rounded for reading.
func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))].Round(10 * time.Microsecond)
}

package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cputime"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit/teststore"
)

// BenchmarkWebhookAccept measures webhook throughput on SQLite: signed
// requests over loopback HTTP (keep-alive), each carrying new articles for
// two accounts. senders=GOMAXPROCS is one request in flight per core; with
// more in flight the store's group commit shares one transaction between
// them. One op is one request; the figure to read is articles/s (target
// ≥ 2,000/s).
//
//	go test -run '^$' -bench WebhookAccept -benchtime 5s ./internal/web
func BenchmarkWebhookAccept(b *testing.B) {
	for _, perRequest := range []int{1, 10} {
		for _, parallelism := range []int{1, 8} {
			name := fmt.Sprintf("batch=%d/senders=%d", perRequest, parallelism*runtime.GOMAXPROCS(0))
			b.Run(name, func(b *testing.B) {
				b.SetParallelism(parallelism)
				benchAccept(b, perRequest)
			})
		}
	}
}

func benchAccept(b *testing.B, perRequest int) {
	ctx := context.Background()
	db := teststore.SQLite(b)
	if err := db.SyncAccounts(ctx, []herald.Account{{ID: "x_main", Network: herald.Twitter}, {ID: "fb_page", Network: herald.Facebook}}); err != nil {
		b.Fatal(err)
	}
	srv := New(Options{Store: db, Webhook: WebhookOptions{Secret: testSecret, Accounts: []string{"x_main", "fb_page"}}}, nil)
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(ts.Close)
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	url := ts.URL + "/hooks/articles"

	var seq atomic.Int64
	var jobs atomic.Int64
	b.ReportAllocs()
	cpu0 := cputime.Used()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		items := make([]map[string]string, perRequest)
		for pb.Next() {
			for i := range items {
				n := seq.Add(1)
				items[i] = map[string]string{
					"url":   "https://news.example/bench/" + strconv.FormatInt(n, 10),
					"title": "Council approves the budget, story " + strconv.FormatInt(n, 10),
				}
			}
			var body []byte
			if perRequest == 1 {
				body, _ = json.Marshal(items[0])
			} else {
				body, _ = json.Marshal(items)
			}
			got, err := postSigned(client, url, body)
			if err != nil {
				b.Error(err)
				return
			}
			if got != perRequest {
				b.Errorf("%d articles accepted, want %d", got, perRequest)
				return
			}
			jobs.Add(int64(2 * perRequest))
		}
	})
	b.StopTimer()
	cpu := cputime.Used() - cpu0
	articles := float64(b.N * perRequest)
	// CPU per article (server and client together) does not depend on how
	// busy the machine is, unlike articles/s.
	b.ReportMetric(float64(cpu.Microseconds())/articles, "cpu-µs/article")
	b.ReportMetric(articles/b.Elapsed().Seconds(), "articles/s")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/articles, "µs/article")
	counts, err := db.CountJobs(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	if got := counts[herald.JobPending]; int64(got) != jobs.Load() {
		b.Errorf("%d pending jobs, want %d", got, jobs.Load())
	}
}

// postSigned sends body signed now and returns how many new articles the
// 202 answer lists.
func postSigned(client *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(testSecret, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("webhook answered %d: %s", resp.StatusCode, raw)
	}
	var a webhookAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return 0, fmt.Errorf("answer: %w", err)
	}
	n := 0
	for _, art := range a.Articles {
		if art.New && len(art.Jobs) == 2 {
			n++
		}
	}
	return n, nil
}

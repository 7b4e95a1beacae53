package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator/emulatortest"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/testkit"
)

// alertSink is an outgoing-webhook receiver that records what it gets.
type alertSink struct {
	srv *httptest.Server

	mu     sync.Mutex
	bodies []string
}

func startAlertSink(t *testing.T, handle func(w http.ResponseWriter)) *alertSink {
	t.Helper()
	s := &alertSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(body))
		s.mu.Unlock()
		if handle != nil {
			handle(w)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *alertSink) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

// TestAlertWhenTheNetworkRefusesAToken is issue "newsroom controls"
// acceptance 3: with the X emulation refusing an account's token, the
// account is paused and one alert reaches the webhook; once the account
// recovers (token restored, herald accounts resume), one "recovered".
func TestAlertWhenTheNetworkRefusesAToken(t *testing.T) {
	t.Parallel()
	e := startEmulations(t)
	feed := startItemFeed(t)
	sink := startAlertSink(t, nil)
	d := startIntakeDaemon(t, e, worldSource(feed, "targets: [x_one]"),
		fmt.Sprintf("notify: {interval: 100ms, webhooks: [{url: %q, format: slack}]}\n", sink.srv.URL))

	emulatortest.ExpireUser(e.x, e.users["x_one"].ID)
	feed.set([]feedItem{{Title: "Storm hits the coast", Link: "https://news.example/world/alert-1", Published: time.Now()}})
	testkit.WaitFor(t, "the alert", 20*time.Second, func() bool { return d.running(t) && len(sink.got()) > 0 })
	got := sink.got()
	if !strings.HasPrefix(got[0], `{"text":"Herald: Account x_one is paused: `) {
		t.Errorf("alert %s", got[0])
	}

	e.x.AddUser(e.users["x_one"])
	d.herald(t, "accounts", "resume", "x_one")
	testkit.WaitFor(t, "the post sent and the recovery", 20*time.Second, func() bool {
		return d.running(t) && jobStates(t, d.db)[herald.JobSent] == 1 && len(sink.got()) >= 2
	})
	got = sink.got()
	if len(got) != 2 || !strings.HasPrefix(got[1], `{"text":"Herald: recovered: Account x_one is paused: `) {
		t.Errorf("webhook got %q, want one alert and one recovery", got)
	}
}

// TestDownAlertWebhookDelaysNoPost: a webhook that never answers holds up
// no post, even with posts held for review and failing alerts queued.
func TestDownAlertWebhookDelaysNoPost(t *testing.T) {
	t.Parallel()
	e := startEmulations(t)
	feed := startItemFeed(t)
	hang := make(chan struct{})
	sink := startAlertSink(t, func(http.ResponseWriter) { <-hang })
	t.Cleanup(func() { close(hang) })
	d := startIntakeDaemon(t, e, worldSource(feed, "targets: [x_one, x_two]"),
		fmt.Sprintf("notify: {interval: 100ms, webhooks: [{url: %q, format: slack}]}\n", sink.srv.URL))
	emulatortest.ExpireUser(e.x, e.users["x_two"].ID) // x_two's pause is an alert the sink never takes
	now := time.Now()
	var items []feedItem
	for i := range 5 {
		items = append(items, feedItem{Title: fmt.Sprintf("Story %d", i), Link: fmt.Sprintf("https://news.example/world/down-%d", i),
			Published: now.Add(-time.Duration(i) * time.Minute)})
	}
	feed.set(items)
	testkit.WaitFor(t, "the webhook called", 20*time.Second, func() bool { return d.running(t) && len(sink.got()) > 0 })
	testkit.WaitFor(t, "x_one's 5 posts", 20*time.Second, func() bool {
		return d.running(t) && len(e.x.PostsByUser(e.users["x_one"].ID)) == 5
	})
}

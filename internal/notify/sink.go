package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Alert states.
const (
	StateRaised    = "raised"
	StateRecovered = "recovered"
)

// Alert is one message to the webhooks.
type Alert struct {
	Event   string    `json:"event"`
	Cause   string    `json:"cause"`
	State   string    `json:"state"` // StateRaised or StateRecovered
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// Text is the alert as one line for a chat.
func (a Alert) Text() string {
	if a.State == StateRecovered {
		return "Herald: recovered: " + a.Message
	}
	return "Herald: " + a.Message
}

// Webhook formats.
const (
	FormatSlack      = "slack"      // {"text": "..."}
	FormatMattermost = "mattermost" // the same
	FormatJSON       = "json"       // the Alert, signed
)

// Signature headers of the json format: the same scheme as Herald's own
// webhook, "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body).
const (
	SignatureHeader = herald.SignatureHeader
	TimestampHeader = herald.TimestampHeader
)

// Webhook is one outgoing webhook.
type Webhook struct {
	URL    string // secret: never logged
	Format string
	Secret string
	Client *http.Client // default: a client with a 10s timeout
}

// sink delivers the alerts of one webhook, in order, from a bounded queue.
type sink struct {
	w       Webhook
	opts    Options
	log     *slog.Logger
	dropped atomic.Int64

	mu    sync.Mutex
	queue []Alert
	ready chan struct{} // signalled when the queue gets an alert
}

func newSink(w Webhook, opts Options, logger *slog.Logger) *sink {
	if w.Client == nil {
		w.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 100
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 5
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = time.Second
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = time.Minute
	}
	return &sink{w: w, opts: opts, log: logger, ready: make(chan struct{}, 1)}
}

// push queues a; when the queue is full its oldest alert is dropped.
func (s *sink) push(a Alert) {
	s.mu.Lock()
	if len(s.queue) >= s.opts.QueueSize {
		s.queue = s.queue[1:]
		s.dropped.Add(1)
		s.log.Warn("notify: queue full, oldest alert dropped", "dropped", s.dropped.Load())
	}
	s.queue = append(s.queue, a)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

func (s *sink) pop() (Alert, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return Alert{}, false
	}
	a := s.queue[0]
	s.queue = s.queue[1:]
	return a, true
}

// run delivers queued alerts until ctx is done.
func (s *sink) run(ctx context.Context) error {
	for {
		a, ok := s.pop()
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-s.ready:
			}
			continue
		}
		s.deliver(ctx, a)
	}
}

// deliver sends a, retrying with backoff; it gives up after Attempts.
func (s *sink) deliver(ctx context.Context, a Alert) {
	delay := s.opts.RetryBase
	for attempt := 1; ; attempt++ {
		err := s.post(ctx, a)
		if err == nil {
			return
		}
		if attempt >= s.opts.Attempts || ctx.Err() != nil {
			s.log.Error("notify: alert not delivered", "cause", a.Cause, "state", a.State, "attempts", attempt, "error", err)
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, s.opts.RetryMax)
	}
}

// post sends a once.
func (s *sink) post(ctx context.Context, a Alert) error {
	var body []byte
	var err error
	if s.w.Format == FormatJSON {
		body, err = json.Marshal(a)
	} else {
		body, err = json.Marshal(map[string]string{"text": a.Text()})
	}
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("new request: bad webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	if s.w.Format == FormatJSON {
		ts := strconv.FormatInt(a.At.Unix(), 10)
		req.Header.Set(TimestampHeader, ts)
		req.Header.Set(SignatureHeader, herald.SignWebhook(s.w.Secret, ts, body))
	}
	resp, err := s.w.Client.Do(req)
	if err != nil {
		// The error names the URL, which may be the webhook's secret.
		return fmt.Errorf("post: %s", errWithoutURL(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post: HTTP %d", resp.StatusCode)
	}
	return nil
}

// errWithoutURL is a client error's cause without the request's URL.
func errWithoutURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "timeout"
		}
		return ue.Err.Error()
	}
	return "request failed"
}

// Package push receives articles the moment they are published: it keeps
// WebSub (W3C Recommendation, formerly PubSubHubbub) subscriptions to the hubs
// that feeds advertise, answers the hubs' verification of intent, and hands
// every authenticated content distribution to the same pipeline as the poller.
//
// State lives in the store (Source.PushState, PushSecret, PushLeaseUntil), so
// a restart or another instance carries on where this one stopped.
package push

import (
	"context"
	"crypto/hmac"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/lease"
	"github.com/heraldhq/herald/internal/limit"
	"github.com/heraldhq/herald/internal/metrics"
	"github.com/heraldhq/herald/internal/netguard"
	"github.com/heraldhq/herald/internal/tick"
)

// Subscription states, as kept in the store.
const (
	StateNone    = ""
	StatePending = "pending" // asked the hub; not verified yet (or renewing an active lease)
	StateActive  = "active"
	StateFailed  = "failed" // the hub refused or denied; retried later
)

// CallbackPattern is the http.ServeMux pattern the Subscriber must be mounted
// on; the hub is given PublicURL + "/websub/" + source name as callback.
const CallbackPattern = "/websub/{source}"

// callbackKeyParam carries the per-subscription capability in the callback
// URL, so nobody without the subscription secret can pass for the hub.
const callbackKeyParam = "k"

// Defaults.
const (
	DefaultLeaseSeconds   = 864000 // 10 days, what the spec suggests hubs enforce
	DefaultCheckInterval  = time.Minute
	DefaultPendingTimeout = 10 * time.Minute
	DefaultRetryMin       = time.Minute
	DefaultRetryMax       = time.Hour
	DefaultDeniedRetry    = 24 * time.Hour
	DefaultMaxBody        = 10 << 20
	DefaultHubTimeout     = 20 * time.Second
	maxRenewMargin        = 24 * time.Hour
	lockName              = "websub-subscriber"
)

// SourceConfig is a configured feed as the subscriber needs it.
type SourceConfig struct {
	Name string
	URL  string // the topic
	// WebSub asks for a subscription when the feed advertises a hub.
	WebSub bool
}

// SubscriberOptions configures a Subscriber.
type SubscriberOptions struct {
	Store Store
	// PublicURL is http.public_url: the base of the callback the hub calls.
	PublicURL string
	// HTTPClient talks to hubs (default: a client with a 20 s timeout under
	// Guard). Given, it replaces the policy's clients.
	HTTPClient *http.Client
	// Guard is the outbound policy for hubs, which feeds name: public
	// addresses and https only, unless Guard.AllowPrivate or the source's
	// configured URL is itself on an internal network.
	Guard netguard.Guard
	// Ingest processes a pushed feed body as if the source had been polled.
	Ingest func(ctx context.Context, source string, body []byte, contentType string) error
	// Now is the clock (default time.Now).
	Now func() time.Time
	// LeaseSeconds is the lease asked for (default 864000, 10 days). A longer
	// lease granted by the hub is recorded as this one.
	LeaseSeconds int
	Sources      []SourceConfig
	// Owner identifies this instance for the store lock that lets one
	// instance manage subscriptions (default: random).
	Owner string
	// CheckInterval is how often subscriptions are looked at (default 1 min).
	CheckInterval time.Duration
	// PendingTimeout is how long a hub may take to verify (default 10 min).
	PendingTimeout time.Duration
	// RetryMin and RetryMax bound the backoff after a hub error (1 min, 1 h).
	RetryMin, RetryMax time.Duration
	// DeniedRetry is how long a denied subscription waits before it is asked
	// for again (default 24 h; a restart asks at once).
	DeniedRetry time.Duration
	// MaxBody caps a pushed body (default 10 MiB).
	MaxBody int64
	// Metrics, when set, gets herald_websub_rejected_total{reason}: pushes
	// refused, by reason (no_subscription, wrong_callback_key,
	// missing_signature, invalid_signature, rate_limited).
	Metrics *metrics.Set
	// ClientKey names the client of a callback call for RejectLimit
	// (default: the peer's IP address).
	ClientKey func(*http.Request) string
	// RejectLimit is how many rejected pushes one client may send a minute
	// before it is answered 429 (default 30).
	RejectLimit int
}

// Subscriber keeps WebSub subscriptions and serves their callback. It is an
// http.Handler for CallbackPattern.
type Subscriber struct {
	opts    SubscriberOptions
	logger  *slog.Logger
	sources map[string]SourceConfig
	// public and internal talk to hubs under the strict policy and with
	// internal networks allowed.
	public, internal *http.Client

	// lock lets one instance of several sharing a store manage the
	// subscriptions; it is given back when Run returns.
	lock *lease.Lock

	mu    sync.Mutex
	state map[string]*subState // per source, this process's view

	rejects *limit.Failures
	metrics *metrics.Set
}

// subState is what this process remembers about one subscription beyond the store.
type subState struct {
	state       string
	leaseUntil  time.Time
	granted     time.Duration // lease the hub granted last (0: unknown)
	requestedAt time.Time     // when the hub accepted our last request (pending)
	failures    int
	retryAt     time.Time // no request before this
	// hub is the last hub the store named for the source: once the feed
	// stops naming it, the store no longer does, and this is where the
	// unsubscription goes.
	hub string
	// unsubSecret is the secret of a subscription being ended, until the
	// hub verifies the unsubscription.
	unsubSecret string
}

// NewSubscriber returns a Subscriber; Run keeps its subscriptions.
func NewSubscriber(opts SubscriberOptions, logger *slog.Logger) *Subscriber {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LeaseSeconds <= 0 {
		opts.LeaseSeconds = DefaultLeaseSeconds
	}
	if opts.Owner == "" {
		opts.Owner = "websub-" + cryptorand.Text()
	}
	setDefault(&opts.CheckInterval, DefaultCheckInterval)
	setDefault(&opts.PendingTimeout, DefaultPendingTimeout)
	setDefault(&opts.RetryMin, DefaultRetryMin)
	setDefault(&opts.RetryMax, DefaultRetryMax)
	setDefault(&opts.DeniedRetry, DefaultDeniedRetry)
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	s := &Subscriber{opts: opts, logger: logger, sources: map[string]SourceConfig{}, state: map[string]*subState{},
		public: opts.HTTPClient, internal: opts.HTTPClient}
	if opts.HTTPClient == nil {
		s.public = &http.Client{Timeout: DefaultHubTimeout, Transport: opts.Guard.Transport()}
		s.internal = &http.Client{Timeout: DefaultHubTimeout, Transport: opts.Guard.Private().Transport()}
	}
	s.lock = lease.New(opts.Store, lockName, opts.Owner, lease.Options{TTL: min(3*opts.CheckInterval, lease.DefaultTTL),
		Now: opts.Now, Logger: logger.With("component", "websub")})
	for _, sc := range opts.Sources {
		s.sources[sc.Name] = sc
	}
	s.initRejects()
	return s
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Active reports whether source is fed by an active WebSub subscription
// (verified, lease not over; a renewal in flight keeps it active), so its
// polling interval can be lengthened. It reflects the last check or callback.
func (s *Subscriber) Active(source string) bool {
	if sc, ok := s.sources[source]; !ok || !sc.WebSub {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.state[source]
	if !ok {
		return false
	}
	return (st.state == StateActive || st.state == StatePending) && st.leaseUntil.After(s.opts.Now())
}

// Run keeps the subscriptions until ctx is done: it subscribes to the hub of
// every websub source whose feed advertised one, renews leases before they
// end, and retries with backoff after hub errors. It returns nil when ctx is
// done (and at once when no source asks for WebSub).
func (s *Subscriber) Run(ctx context.Context) error {
	n := 0
	for _, sc := range s.sources {
		if sc.WebSub {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if u, err := url.Parse(s.opts.PublicURL); err != nil || u.Host == "" {
		return fmt.Errorf("push: http.public_url %q is not an absolute URL", s.opts.PublicURL)
	} else if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
		s.logger.Warn("websub: http.public_url is a loopback address; hubs elsewhere cannot reach the callback",
			"public_url", s.opts.PublicURL)
	}
	defer s.lock.Release()
	return tick.Every(ctx, s.opts.CheckInterval, s.sync)
}

// sync looks at every websub source once and acts on what is due.
func (s *Subscriber) sync(ctx context.Context) {
	now := s.opts.Now()
	held, err := s.lock.Hold(ctx)
	if err != nil {
		s.logger.Warn("websub: take lock", "error", err)
		return
	}
	srcs, err := s.opts.Store.ListSources(ctx)
	if err != nil {
		s.logger.Warn("websub: list sources", "error", err)
		return
	}
	for _, src := range srcs {
		sc, ok := s.sources[src.Name]
		if !ok || !sc.WebSub {
			continue
		}
		s.remember(src.Name, src.PushState, src.PushLeaseUntil)
		if src.HubURL != "" {
			s.mu.Lock()
			s.stateLocked(src.Name).hub = src.HubURL
			s.mu.Unlock()
		}
		if !held || ctx.Err() != nil {
			continue // another instance manages them
		}
		switch {
		case src.HubURL != "":
			s.step(ctx, sc, src, now)
		case src.PushState != StateNone:
			s.drop(ctx, sc, src)
		}
	}
}

// step decides what one subscription needs now.
func (s *Subscriber) step(ctx context.Context, sc SourceConfig, src herald.Source, now time.Time) {
	s.mu.Lock()
	st := s.stateLocked(src.Name)
	retryAt, granted, requestedAt := st.retryAt, st.granted, st.requestedAt
	if src.PushState == StatePending && requestedAt.IsZero() {
		// Asked before a restart (or by another instance): give the hub its time.
		st.requestedAt, requestedAt = now, now
	}
	s.mu.Unlock()
	if now.Before(retryAt) {
		return
	}
	switch src.PushState {
	case StateActive:
		if src.PushLeaseUntil.Sub(now) > s.renewMargin(granted) {
			return
		}
	case StatePending:
		if now.Sub(requestedAt) < s.opts.PendingTimeout {
			return
		}
		s.failed(ctx, src, errors.New("the hub did not verify the subscription in time"), now)
		return
	}
	s.subscribe(ctx, sc, src, now)
}

// renewMargin is how long before the lease ends a renewal is asked for: a
// fifth of the lease, at most a day, and at least two checks.
func (s *Subscriber) renewMargin(granted time.Duration) time.Duration {
	if granted <= 0 {
		granted = time.Duration(s.opts.LeaseSeconds) * time.Second
	}
	m := min(granted/5, maxRenewMargin)
	if m < 2*s.opts.CheckInterval {
		m = min(2*s.opts.CheckInterval, granted/2)
	}
	return m
}

// subscribe asks the hub for a (new or renewed) subscription. The state is
// pending before the request: a hub may verify before it answers.
func (s *Subscriber) subscribe(ctx context.Context, sc SourceConfig, src herald.Source, now time.Time) {
	log := s.logger.With("source", src.Name, "hub", herald.RedactURL(src.HubURL))
	secret := src.PushSecret
	if secret == "" {
		secret = newSecret()
	}
	var keep time.Time // a renewal keeps the current lease until the hub verifies
	if (src.PushState == StateActive || src.PushState == StatePending) && src.PushLeaseUntil.After(now) {
		keep = src.PushLeaseUntil
	}
	if err := s.opts.Store.SetPush(ctx, src.ID, herald.PushState{HubURL: src.HubURL, State: StatePending,
		Secret: secret, LeaseUntil: keep}); err != nil {
		log.Warn("websub: record pending subscription", "error", err)
		return
	}
	s.mu.Lock()
	st := s.stateLocked(src.Name)
	st.state, st.leaseUntil, st.requestedAt = StatePending, keep, now
	s.mu.Unlock()
	src.PushState, src.PushSecret, src.PushLeaseUntil = StatePending, secret, keep
	if err := s.requestSubscription(ctx, src.HubURL, sc, secret); err != nil {
		if ctx.Err() != nil {
			return // shutting down; the pending state is looked at again on start
		}
		s.failed(ctx, src, err, now)
		return
	}
	log.Info("websub: subscription requested", "renewal", !keep.IsZero())
}

// requestSubscription POSTs the subscription request; the hub answers 202.
func (s *Subscriber) requestSubscription(ctx context.Context, hub string, sc SourceConfig, secret string) error {
	return s.requestHub(ctx, hub, sc, url.Values{
		"hub.mode":          {"subscribe"},
		"hub.topic":         {sc.URL},
		"hub.callback":      {s.callbackURL(sc.Name, secret)},
		"hub.lease_seconds": {strconv.Itoa(s.opts.LeaseSeconds)},
		"hub.secret":        {secret},
	})
}

// requestHub POSTs a subscription request (form) to hub under the outbound
// policy of source sc: a hub on an internal network, or over plain http
// (the form carries the secret), only where internal networks are allowed.
func (s *Subscriber) requestHub(ctx context.Context, hub string, sc SourceConfig, form url.Values) error {
	op := form.Get("hub.mode")
	client, internal := s.public, s.opts.Guard.AllowPrivate || s.opts.Guard.Internal(ctx, sc.URL)
	if internal {
		client = s.internal
	}
	u, err := url.Parse(hub)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("push: %s: hub URL is not an http(s) URL", op)
	}
	if u.Scheme != "https" && !internal {
		return fmt.Errorf("push: %s: hub %s: the hub secret goes only over https (%w)", op, u.Host, netguard.ErrRefused)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hub, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("push: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("push: %s: %w", op, redactURLError(err))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("push: %s: hub answered %s: %s", op, resp.Status, strings.TrimSpace(printable(string(msg))))
	}
	return nil
}

// failed records a failed request: backoff, and the previous lease kept
// while it lasts (else state failed).
func (s *Subscriber) failed(ctx context.Context, src herald.Source, cause error, now time.Time) {
	s.mu.Lock()
	st := s.stateLocked(src.Name)
	st.failures++
	wait := backoff(st.failures, s.opts.RetryMin, s.opts.RetryMax)
	st.retryAt, st.requestedAt = now.Add(wait), time.Time{}
	s.mu.Unlock()
	s.logger.Warn("websub: subscription failed; polling continues", "source", src.Name, "hub", herald.RedactURL(src.HubURL),
		"error", cause, "retry_in", wait.Round(time.Second))
	// The hub may have verified meanwhile: never undo a verification.
	if cur, err := s.opts.Store.GetSource(ctx, src.Name); err == nil &&
		(cur.PushState != StatePending || cur.PushSecret != src.PushSecret) {
		s.remember(src.Name, cur.PushState, cur.PushLeaseUntil)
		return
	}
	next := herald.PushState{HubURL: src.HubURL, State: StateFailed, Secret: src.PushSecret}
	if src.PushLeaseUntil.After(now) {
		next.State, next.LeaseUntil = StateActive, src.PushLeaseUntil
	}
	if err := s.opts.Store.SetPush(ctx, src.ID, next); err != nil {
		s.logger.Warn("websub: record failed subscription", "source", src.Name, "error", err)
		return
	}
	s.remember(src.Name, next.State, next.LeaseUntil)
}

// drop ends the subscription of a source whose feed no longer names a hub:
// the state is cleared first (pushes are refused from then on and polling
// goes back to the source's interval), then the hub is asked to
// unsubscribe. A hub this instance never saw (the feed dropped it before
// the first look after a start) cannot be told; its pushes are refused.
func (s *Subscriber) drop(ctx context.Context, sc SourceConfig, src herald.Source) {
	log := s.logger.With("source", src.Name)
	live := src.PushState == StateActive || src.PushState == StatePending
	s.mu.Lock()
	st := s.stateLocked(src.Name)
	hub := st.hub
	st.hub, st.failures, st.retryAt = "", 0, time.Time{}
	if live {
		st.unsubSecret = src.PushSecret
	}
	s.mu.Unlock()
	if err := s.opts.Store.SetPush(ctx, src.ID, herald.PushState{}); err != nil {
		log.Warn("websub: clear subscription", "error", err)
		return
	}
	s.remember(src.Name, StateNone, time.Time{})
	if !live || src.PushSecret == "" {
		return
	}
	if hub == "" {
		log.Info("websub: the feed no longer names a hub; subscription ended (the hub is unknown here, its pushes are refused)")
		return
	}
	log = log.With("hub", herald.RedactURL(hub))
	err := s.requestHub(ctx, hub, sc, url.Values{
		"hub.mode":     {"unsubscribe"},
		"hub.topic":    {sc.URL},
		"hub.callback": {s.callbackURL(sc.Name, src.PushSecret)},
	})
	if err != nil {
		log.Warn("websub: the feed no longer names its hub; subscription ended here, the hub refused the unsubscription",
			"error", err)
		return
	}
	log.Info("websub: the feed no longer names its hub; unsubscribed")
}

// confirmUnsubscribe answers a hub's verification of an unsubscription
// that drop asked for (404 to any other).
func (s *Subscriber) confirmUnsubscribe(w http.ResponseWriter, r *http.Request, sc SourceConfig) {
	q := r.URL.Query()
	s.mu.Lock()
	st := s.stateLocked(sc.Name)
	secret := st.unsubSecret
	ok := secret != "" && q.Get("hub.topic") == sc.URL && validChallenge(q.Get("hub.challenge")) &&
		hmac.Equal([]byte(q.Get(callbackKeyParam)), []byte(callbackKey(secret, sc.Name)))
	if ok {
		st.unsubSecret = ""
	}
	s.mu.Unlock()
	if !ok {
		s.logger.Warn("websub: verification refused: no such unsubscription", "source", sc.Name)
		http.NotFound(w, r)
		return
	}
	s.logger.Info("websub: unsubscription verified", "source", sc.Name)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, q.Get("hub.challenge"))
}

// backoff is RetryMin doubled per failure, capped at RetryMax, ±20 % jitter.
func backoff(failures int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 1; i < failures && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

func (s *Subscriber) stateLocked(name string) *subState {
	st, ok := s.state[name]
	if !ok {
		st = &subState{}
		s.state[name] = st
	}
	return st
}

// remember updates this process's view of a subscription from the store.
func (s *Subscriber) remember(name, state string, leaseUntil time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stateLocked(name)
	st.state, st.leaseUntil = state, leaseUntil
	if state != StatePending {
		st.requestedAt = time.Time{}
	}
}

// callbackURL is PublicURL/websub/{source}?k=<key>; the key is derived from
// the subscription secret, so it changes with it and needs no storage.
func (s *Subscriber) callbackURL(source, secret string) string {
	return strings.TrimRight(s.opts.PublicURL, "/") + "/websub/" + url.PathEscape(source) +
		"?" + callbackKeyParam + "=" + callbackKey(secret, source)
}

func callbackKey(secret, source string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("websub-callback:" + source))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// newSecret is a random hub.secret (the spec wants < 200 bytes).
func newSecret() string {
	b := make([]byte, 32)
	_, _ = cryptorand.Read(b)
	return hex.EncodeToString(b)
}

// redactURLError drops the URL from a *url.Error: a hub URL may carry a token.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// printable keeps a hub's error text loggable: printable ASCII, 200 bytes.
func printable(s string) string {
	b := make([]byte, 0, min(len(s), 200))
	for i := 0; i < len(s) && len(b) < 200; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b = append(b, c)
		}
	}
	return string(b)
}

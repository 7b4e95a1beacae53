package push

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// SignatureHeader is the hub's HMAC of a pushed body: "sha256=<hex>".
const SignatureHeader = "X-Hub-Signature"

const maxChallenge = 256

// ServeHTTP is the WebSub callback, mounted on CallbackPattern: GET is the
// hub's verification of intent (or a denial), POST a content distribution.
func (s *Subscriber) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sc, ok := s.sources[r.PathValue("source")]
	if !ok || !sc.WebSub {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.verify(w, r, sc)
	case http.MethodPost:
		s.receive(w, r, sc)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// verify answers the hub's verification of intent: the challenge is echoed
// only for a subscription this instance asked for (pending, or active and
// being renewed or re-confirmed), with the expected topic and callback key.
// Anything else is a 404, which the spec makes the hub's "no".
func (s *Subscriber) verify(w http.ResponseWriter, r *http.Request, sc SourceConfig) {
	q := r.URL.Query()
	mode := q.Get("hub.mode")
	if mode == "unsubscribe" {
		s.confirmUnsubscribe(w, r, sc)
		return
	}
	log := s.logger.With("source", sc.Name, "mode", mode)
	src, err := s.opts.Store.GetSource(r.Context(), sc.Name)
	if err != nil {
		if errors.Is(err, herald.ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		log.Error("websub: verification: read source", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	live := src.PushState == StatePending || src.PushState == StateActive
	if q.Get("hub.topic") != sc.URL || src.PushSecret == "" || !live ||
		!hmac.Equal([]byte(q.Get(callbackKeyParam)), []byte(callbackKey(src.PushSecret, sc.Name))) {
		log.Warn("websub: verification refused: no such subscription")
		http.NotFound(w, r)
		return
	}
	now := s.opts.Now()
	switch mode {
	case "subscribe":
		challenge := q.Get("hub.challenge")
		secs, err := strconv.ParseInt(q.Get("hub.lease_seconds"), 10, 64)
		if !validChallenge(challenge) || err != nil || secs <= 0 {
			log.Warn("websub: verification refused: bad challenge or lease")
			http.NotFound(w, r)
			return
		}
		granted := time.Duration(min(secs, int64(s.opts.LeaseSeconds))) * time.Second
		until := now.Add(granted)
		if err := s.opts.Store.SetPush(r.Context(), src.ID, herald.PushState{HubURL: src.HubURL,
			State: StateActive, Secret: src.PushSecret, LeaseUntil: until}); err != nil {
			log.Error("websub: record active subscription", "error", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		s.mu.Lock()
		st := s.stateLocked(sc.Name)
		st.state, st.leaseUntil, st.granted = StateActive, until, granted
		st.failures, st.retryAt, st.requestedAt = 0, time.Time{}, time.Time{}
		s.mu.Unlock()
		log.Info("websub: subscription active", "lease_until", until.UTC().Format(time.RFC3339))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, challenge)
	case "denied":
		if err := s.opts.Store.SetPush(r.Context(), src.ID, herald.PushState{HubURL: src.HubURL,
			State: StateFailed}); err != nil {
			log.Error("websub: record denied subscription", "error", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		s.mu.Lock()
		st := s.stateLocked(sc.Name)
		st.state, st.leaseUntil, st.requestedAt = StateFailed, time.Time{}, time.Time{}
		st.retryAt = now.Add(s.opts.DeniedRetry)
		s.mu.Unlock()
		log.Warn("websub: the hub denied the subscription; polling continues",
			"reason", printable(q.Get("hub.reason")), "retry_in", s.opts.DeniedRetry)
		w.WriteHeader(http.StatusOK)
	default:
		// Herald never unsubscribes: an unsubscribe verification is not ours.
		log.Warn("websub: verification refused: unexpected mode")
		http.NotFound(w, r)
	}
}

// validChallenge refuses empty, long or binary challenges (the answer is
// echoed, so it must stay harmless).
func validChallenge(c string) bool {
	if c == "" || len(c) > maxChallenge {
		return false
	}
	for i := 0; i < len(c); i++ {
		if c[i] <= 0x20 || c[i] >= 0x7f {
			return false
		}
	}
	return true
}

// receive handles a content distribution. Everything that needs no body
// (subscription, callback key, signature header) is checked before the body
// is read, so a caller without the key cannot make Herald read or hold
// anything. A push that fails authentication gets the same 202 as a good one
// (so a forger learns nothing) and is dropped; it is counted, and a client
// refused too often is answered 429 until the next minute.
func (s *Subscriber) receive(w http.ResponseWriter, r *http.Request, sc SourceConfig) {
	log := s.logger.With("source", sc.Name)
	client := s.opts.ClientKey(r)
	if !s.rejects.Allow(client) {
		s.countRejected("rate_limited")
		w.Header().Set("Retry-After", strconv.Itoa(s.rejects.RetryAfter()))
		http.Error(w, "too many rejected pushes: slow down", http.StatusTooManyRequests)
		return
	}
	src, err := s.opts.Store.GetSource(r.Context(), sc.Name)
	if err != nil && !errors.Is(err, herald.ErrNotFound) {
		log.Error("websub: push: read source", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if reason := s.authenticateHeaders(r, sc.Name, src); reason != "" {
		s.reject(w, log, client, reason, 0)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn("websub: pushed body too large; dropped", "max_bytes", s.opts.MaxBody)
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "could not read body", http.StatusBadRequest)
		return
	}
	if !ValidSignature(src.PushSecret, r.Header.Get(SignatureHeader), body) {
		s.reject(w, log, client, "invalid signature", len(body))
		return
	}
	if err := s.opts.Ingest(r.Context(), sc.Name, body, r.Header.Get("Content-Type")); err != nil {
		// A failure on our side: a non-2xx makes the hub deliver again.
		log.Error("websub: push: ingest", "error", err)
		http.Error(w, "could not process the content", http.StatusInternalServerError)
		return
	}
	log.Info("websub: push ingested", "bytes", len(body))
	w.WriteHeader(http.StatusAccepted)
}

// reject drops a push that failed authentication: counted, logged, and
// answered 202.
func (s *Subscriber) reject(w http.ResponseWriter, log *slog.Logger, client, reason string, n int) {
	s.rejects.Add(client)
	s.countRejected(strings.ReplaceAll(reason, " ", "_"))
	log.Warn("websub: push discarded", "reason", reason, "bytes", n, "client", client)
	w.WriteHeader(http.StatusAccepted)
}

// authenticateHeaders returns why a push must be dropped without reading
// its body, or "".
func (s *Subscriber) authenticateHeaders(r *http.Request, source string, src herald.Source) string {
	if src.PushSecret == "" || (src.PushState != StatePending && src.PushState != StateActive) {
		return "no subscription"
	}
	key := r.URL.Query().Get(callbackKeyParam)
	if !hmac.Equal([]byte(key), []byte(callbackKey(src.PushSecret, source))) {
		return "wrong callback key"
	}
	sig := r.Header.Get(SignatureHeader)
	if sig == "" {
		return "missing signature"
	}
	if _, _, err := parseSignature(sig); err != nil {
		return "invalid signature"
	}
	return ""
}

// ValidSignature checks an X-Hub-Signature value ("sha1=", "sha256=",
// "sha384=" or "sha512=" and the hex HMAC of body with secret) in constant time.
func ValidSignature(secret, header string, body []byte) bool {
	h, got, err := parseSignature(header)
	if err != nil {
		return false
	}
	mac := hmac.New(h, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// parseSignature splits an X-Hub-Signature value into its hash and MAC.
func parseSignature(header string) (func() hash.Hash, []byte, error) {
	method, hexSig, ok := strings.Cut(strings.TrimSpace(header), "=")
	if !ok {
		return nil, nil, errors.New("no method")
	}
	var h func() hash.Hash
	switch strings.ToLower(method) {
	case "sha1":
		h = sha1.New
	case "sha256":
		h = sha256.New
	case "sha384":
		h = sha512.New384
	case "sha512":
		h = sha512.New
	default:
		return nil, nil, errors.New("unknown method")
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != h().Size() {
		return nil, nil, errors.New("bad digest")
	}
	return h, got, nil
}

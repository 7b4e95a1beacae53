package push

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testHub is a small WebSub hub on loopback, written for these tests: it
// takes subscription requests, verifies intent against the subscriber's
// callback over real HTTP, and distributes signed content.
type testHub struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	mode     string // "sync" (verify, then answer 202), "async", "deny", "error", "silent"
	grant    int    // lease_seconds to grant; 0: what was asked
	requests []subRequest
	subs     map[string]subRequest // topic → verified subscription
	verified chan bool             // async verification outcomes
}

type subRequest struct {
	Mode, Topic, Callback, Secret string
	Lease                         int
}

func newTestHub(t *testing.T, mode string) *testHub {
	h := &testHub{t: t, mode: mode, subs: map[string]subRequest{}, verified: make(chan bool, 16)}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *testHub) setMode(mode string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mode = mode
}

func (h *testHub) setGrant(secs int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.grant = secs
}

func (h *testHub) requestCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.requests)
}

func (h *testHub) lastRequest() subRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.requests) == 0 {
		h.t.Fatal("the hub got no subscription request")
	}
	return h.requests[len(h.requests)-1]
}

func (h *testHub) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "subscription requests are form POSTs", http.StatusBadRequest)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	lease, _ := strconv.Atoi(r.PostForm.Get("hub.lease_seconds"))
	req := subRequest{Mode: r.PostForm.Get("hub.mode"), Topic: r.PostForm.Get("hub.topic"),
		Callback: r.PostForm.Get("hub.callback"), Secret: r.PostForm.Get("hub.secret"), Lease: lease}
	h.mu.Lock()
	h.requests = append(h.requests, req)
	mode, grant := h.mode, h.grant
	h.mu.Unlock()
	if grant == 0 {
		grant = req.Lease
	}
	switch mode {
	case "error":
		http.Error(w, "hub is down for maintenance", http.StatusInternalServerError)
	case "silent":
		w.WriteHeader(http.StatusAccepted)
	case "deny":
		h.callback(req, url.Values{"hub.mode": {"denied"}, "hub.topic": {req.Topic}, "hub.reason": {"topic not allowed"}})
		w.WriteHeader(http.StatusAccepted)
	case "sync":
		h.verify(req, grant)
		w.WriteHeader(http.StatusAccepted)
	case "async":
		w.WriteHeader(http.StatusAccepted)
		go func() { h.verified <- h.verify(req, grant) }()
	}
}

// verify does the verification of intent: GET callback with a challenge,
// which must come back as the body of a 2xx.
func (h *testHub) verify(req subRequest, grant int) bool {
	challenge := "ch-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	code, body := h.callback(req, url.Values{"hub.mode": {req.Mode}, "hub.topic": {req.Topic},
		"hub.challenge": {challenge}, "hub.lease_seconds": {strconv.Itoa(grant)}})
	ok := code/100 == 2 && body == challenge
	if ok {
		h.mu.Lock()
		h.subs[req.Topic] = req
		h.mu.Unlock()
	}
	return ok
}

// callback GETs the callback URL with q appended to its own query.
func (h *testHub) callback(req subRequest, q url.Values) (int, string) {
	u := req.Callback
	if strings.Contains(u, "?") {
		u += "&" + q.Encode()
	} else {
		u += "?" + q.Encode()
	}
	resp, err := http.Get(u)
	if err != nil {
		h.t.Errorf("hub: callback: %v", err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// publish distributes body to the verified subscriber of topic, signed with
// alg ("" for no signature) and key (the subscription secret if "").
func (h *testHub) publish(topic, body, alg, key string) int {
	h.mu.Lock()
	sub, ok := h.subs[topic]
	h.mu.Unlock()
	if !ok {
		h.t.Fatalf("hub: no verified subscription to %s", topic)
	}
	return h.publishTo(sub.Callback, body, alg, signWith(alg, orDefault(key, sub.Secret), body))
}

func (h *testHub) publishTo(callback, body, alg, sig string) int {
	req, _ := http.NewRequest(http.MethodPost, callback, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/rss+xml")
	req.Header.Set("Link", fmt.Sprintf(`<%s>; rel="hub"`, h.srv.URL))
	if alg != "" {
		req.Header.Set(SignatureHeader, alg+"="+sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("hub: distribute: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func signWith(alg, key, body string) string {
	var f func() hash.Hash
	switch alg {
	case "sha1":
		f = sha1.New
	case "sha384":
		f = sha512.New384
	case "sha512":
		f = sha512.New
	default:
		f = sha256.New
	}
	m := hmac.New(f, []byte(key))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

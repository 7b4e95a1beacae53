package facebook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// maxErrorBody bounds how much of a non-2xx answer is read to look for a
// Graph error object.
const maxErrorBody = 1 << 20

// StatusError is a non-2xx answer that carries no Graph error object: an HTML
// page or an empty body from a proxy or load balancer in front of the API.
// huandu/facebook never looks at the status, so the transport turns such an
// answer into this error before the library sees it.
type StatusError struct {
	Status      int
	ContentType string
	BodyBytes   int
}

func (e *StatusError) Error() string {
	if e.BodyBytes == 0 {
		return fmt.Sprintf("HTTP %d with an empty body", e.Status)
	}
	return fmt.Sprintf("HTTP %d with a non-Graph body (%s, %d bytes)", e.Status, e.ContentType, e.BodyBytes)
}

// callInfo is what the transport saw of one API call: whether a connection
// was obtained (so the request may have reached the API), the HTTP status and
// the headers (usage headers are needed even when the body did not parse).
type callInfo struct {
	mu      sync.Mutex
	gotConn bool
	status  int
	header  http.Header
}

type callKey struct{}

// withCall returns a context whose requests record into a new callInfo.
func withCall(ctx context.Context) (context.Context, *callInfo) {
	c := &callInfo{}
	return context.WithValue(ctx, callKey{}, c), c
}

func (c *callInfo) sent() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gotConn
}

func (c *callInfo) answer() (int, http.Header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status, c.header
}

// transport records each call and turns a non-2xx answer without a Graph
// error body into a *StatusError. Graph error bodies flow on to huandu so it
// builds a *fb.Error from them.
type transport struct {
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	call, _ := req.Context().Value(callKey{}).(*callInfo)
	if call != nil {
		trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
			call.mu.Lock()
			call.gotConn = true
			call.mu.Unlock()
		}}
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if call != nil {
		call.mu.Lock()
		call.status, call.header = resp.StatusCode, resp.Header.Clone()
		call.mu.Unlock()
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if rerr == nil && isGraphError(body) {
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		return resp, nil
	}
	return nil, &StatusError{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), BodyBytes: len(body)}
}

// isGraphError reports whether body is a JSON object with an "error" object.
func isGraphError(body []byte) bool {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	return len(v.Error) > 0 && v.Error[0] == '{'
}

// newHTTPClient is huandu's HttpClient: bounded in time end to end (the
// library's default client has no timeout at all).
func newHTTPClient(timeout time.Duration) *http.Client {
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{Timeout: timeout, Transport: &transport{base: base}}
}

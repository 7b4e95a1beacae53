package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
)

// reply is a handler's answer in the X, Mastodon and Bluesky emulations:
// their handle logs the request, then writes it, or drops the connection
// instead when a fault says so.
type reply struct {
	status int
	header http.Header
	body   any    // JSON-encoded; nil, with no raw, writes an empty body
	raw    string // written as is, as text/plain unless header names a type
	drop   bool
}

// readBody reads up to limit bytes of r's body and puts them back for the
// handler. Reading first lets the server notice a client that hangs up,
// which ends an injected delay early.
func readBody(r *http.Request, limit int64) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, limit))
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// write sends rep to w, or drops the connection if rep says so.
func (rep reply) write(w http.ResponseWriter) {
	if rep.drop {
		DropConnection(w)
		return
	}
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	switch {
	case rep.raw != "":
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.raw)
	case rep.body == nil:
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(rep.status)
	default:
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		w.WriteHeader(rep.status)
		_ = json.NewEncoder(w).Encode(rep.body)
	}
}

// guarded wraps a handler h of an emulation whose state mu guards: h runs
// holding mu, and only when check, run holding mu first, lets the request
// through (returns nil; otherwise its reply is the answer).
func guarded[C any](mu *sync.Mutex, check func(*http.Request, C) *reply, h func(*http.Request, C) reply) func(*http.Request, C) reply {
	return func(r *http.Request, c C) reply {
		mu.Lock()
		defer mu.Unlock()
		if rep := check(r, c); rep != nil {
			return *rep
		}
		return h(r, c)
	}
}

// served is the status a request log records for rep: 0 for a dropped
// connection.
func (rep reply) served() int {
	if rep.drop {
		return 0
	}
	return rep.status
}

// requestLog is an emulation's log of the requests it served; safe for
// concurrent use. It keeps at most max entries: when it is full, the older
// half is dropped first.
type requestLog[E any] struct {
	mu      sync.Mutex
	entries []E
	max     int
}

func (l *requestLog[E]) add(e E) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= l.max {
		l.entries = slices.Delete(l.entries, 0, len(l.entries)/2)
	}
	l.entries = append(l.entries, e)
}

// all returns a copy of the log, oldest first.
func (l *requestLog[E]) all() []E {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}

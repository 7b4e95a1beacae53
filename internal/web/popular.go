package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

// Limits of the public ranking routes.
const (
	// MaxPopularLimit caps ?limit= on /api/popular and /widget/popular.
	MaxPopularLimit = 100
	// popularTTL is how long a computed ranking is served before the store is
	// asked again; browsers and CDNs may keep it popularMaxAge.
	popularTTL    = 30 * time.Second
	popularMaxAge = "public, max-age=60"
	// maxPopularEntries bounds the cache (one entry per distinct query).
	maxPopularEntries = 512
	reportTimeout     = 10 * time.Second
)

// popularParams reads the ranking parameters of a query string:
// since, by, network, section, limit, trending. Errors are *rank.ParamError.
func popularParams(v url.Values, defLimit int) (rank.Params, error) {
	p := rank.Params{Since: v.Get("since"), By: v.Get("by"), Network: v.Get("network"), Section: v.Get("section"), Limit: defLimit}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, &rank.ParamError{Param: "limit", Value: s, Reason: "must be a whole number from 1"}
		}
		p.Limit = min(n, MaxPopularLimit)
	}
	switch s := strings.ToLower(v.Get("trending")); s {
	case "", "0", "false", "no":
	case "1", "true", "yes":
		p.Trending = true
	default:
		return p, &rank.ParamError{Param: "trending", Value: v.Get("trending"), Reason: "must be true or false"}
	}
	if len(p.Section) > 200 {
		return p, &rank.ParamError{Param: "section", Value: p.Section[:200], Reason: "too long"}
	}
	return p, nil
}

// popularEntry is a computed ranking and its JSON.
type popularEntry struct {
	rows    []herald.ReportRow
	body    []byte
	etag    string
	expires time.Time
}

// popularCache keeps each distinct ranking for popularTTL, and lets one
// request compute it while the others wait for its answer.
type popularCache struct {
	now      func() time.Time
	maxSince time.Duration // longest window served (0: any)
	mu       sync.Mutex
	entries  map[string]*popularEntry
	group    singleflight.Group
}

func newPopularCache(now func() time.Time, maxSince time.Duration) *popularCache {
	return &popularCache{now: now, maxSince: maxSince, entries: map[string]*popularEntry{}}
}

// popularQuery checks p and returns the store query for the window ending
// at now and the cache key of its meaning (so "7d", "1w" and "168h", or
// network=x and network=twitter, are one entry). A window longer than
// maxSince (when positive) is refused. Errors are *rank.ParamError.
func popularQuery(p rank.Params, now time.Time, weights herald.Weights, maxSince time.Duration) (herald.ReportQuery, string, error) {
	q, err := p.Query(now, weights)
	if err != nil {
		return q, "", err
	}
	window := q.Until.Sub(q.Since)
	if maxSince > 0 && window > maxSince {
		return q, "", &rank.ParamError{Param: "since", Value: p.Since,
			Reason: "must be at most " + windowText(maxSince) + " (ranking.collect_for)"}
	}
	key := strings.Join([]string{window.String(), q.By, string(q.Network), q.Section,
		strconv.Itoa(q.Limit), strconv.FormatBool(q.Trending)}, "\x00")
	return q, key, nil
}

// get returns the ranking for p, from the cache when fresh.
func (c *popularCache) get(ctx context.Context, store herald.Store, p rank.Params, weights herald.Weights) (*popularEntry, error) {
	_, key, err := popularQuery(p, c.now(), weights, c.maxSince)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	e := c.entries[key]
	c.mu.Unlock()
	if e != nil && c.now().Before(e.expires) {
		return e, nil
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		now := c.now()
		q, _, err := popularQuery(p, now, weights, c.maxSince)
		if err != nil {
			return nil, err
		}
		// The first caller's cancellation must not fail the others.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reportTimeout)
		defer cancel()
		rows, err := store.Report(rctx, q)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := rank.WriteJSON(&buf, rows); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(buf.Bytes())
		e := &popularEntry{rows: rows, body: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:16]) + `"`,
			expires: now.Add(popularTTL)}
		c.put(key, e, now)
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*popularEntry), nil
}

func (c *popularCache) put(key string, e *popularEntry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxPopularEntries {
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxPopularEntries {
			clear(c.entries)
		}
	}
	c.entries[key] = e
}

// setPublicHeaders sets the CORS and cache headers of a public answer.
func setPublicHeaders(w http.ResponseWriter, etag string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag")
	h.Set("Cache-Control", popularMaxAge)
	h.Set("Vary", "Accept-Encoding")
	if etag != "" {
		h.Set("ETag", etag)
	}
}

// notModified reports whether the request's If-None-Match names etag.
func notModified(r *http.Request, etag string) bool {
	inm := r.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// handlePopular serves GET /api/popular: the ranking as `herald report
// --format json` prints it.
func (d *dashboard) handlePopular(w http.ResponseWriter, r *http.Request) {
	p, err := popularParams(r.URL.Query(), rank.DefaultLimit)
	if err == nil {
		var e *popularEntry
		if e, err = d.popular.get(r.Context(), d.s.opts.Store, p, d.opts.Weights); err == nil {
			setPublicHeaders(w, e.etag)
			if notModified(r, e.etag) {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			_, _ = w.Write(e.body)
			return
		}
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "no-store")
	var pe *rank.ParamError
	if errors.As(err, &pe) {
		writeError(w, http.StatusBadRequest, pe.Error(), pe.Param)
		return
	}
	d.s.logger.Error("popular ranking", "error", err)
	writeError(w, http.StatusInternalServerError, "ranking unavailable", "")
}

// handlePopularPreflight answers a CORS preflight: GET only.
func handlePopularPreflight(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET")
	h.Set("Access-Control-Allow-Headers", "If-None-Match")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// shortHash is a short digest of s, for ETags.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// windowText writes a window the way since takes it: "7d" rather than
// "168h0m0s".
func windowText(d time.Duration) string {
	const day = 24 * time.Hour
	if d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

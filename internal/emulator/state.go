package emulator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// An emulation's State is what it has recorded — posts with their ids and
// engagement, the counters new ids come from, live sessions — in a form
// that encodes to JSON, so that a sandbox can keep one network across
// processes and restarts: State after a change, Restore into a new
// emulation (its accounts registered first) before it serves. Request logs,
// rate-limit windows and injected faults are not part of it.

// XState is what an X emulation keeps.
type XState struct {
	Seq   int64         `json:"seq"`
	Posts []XPostRecord `json:"posts"`
}

// XPostRecord is one post of an XState; Metrics is set when SetMetrics was.
type XPostRecord struct {
	XPost
	Metrics *XMetrics `json:",omitempty"`
}

// State returns what x has recorded.
func (x *X) State() XState {
	x.mu.Lock()
	defer x.mu.Unlock()
	s := XState{Seq: x.seq, Posts: make([]XPostRecord, 0, len(x.posts))}
	for _, p := range x.posts {
		r := XPostRecord{XPost: p.XPost}
		if p.metrics != nil {
			m := *p.metrics
			r.Metrics = &m
		}
		s.Posts = append(s.Posts, r)
	}
	return s
}

// Restore replaces x's posts and id counter with s's.
func (x *X) Restore(s XState) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.posts, x.postIdx, x.live = nil, map[string]*xPost{}, map[string]int{}
	for _, r := range s.Posts {
		if r.ID == "" {
			return fmt.Errorf("restore x: a post without an id")
		}
		display, ents := xLinkify(r.Text, r.ID)
		p := &xPost{XPost: r.XPost, display: display, entities: ents, metrics: r.Metrics}
		x.posts = append(x.posts, p)
		x.postIdx[p.ID] = p
		if !p.Deleted {
			x.live[p.UserID+"\x00"+p.Text]++
		}
	}
	x.seq = s.Seq
	return nil
}

// GraphState is what a Graph emulation keeps.
type GraphState struct {
	Seq   int64       `json:"seq"`
	Posts []GraphPost `json:"posts"` // oldest first
}

// State returns what g has recorded.
func (g *Graph) State() GraphState {
	posts := g.Posts()
	g.mu.Lock()
	defer g.mu.Unlock()
	return GraphState{Seq: g.seq, Posts: posts}
}

// Restore replaces g's posts and id counter with s's.
func (g *Graph) Restore(s GraphState) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.posts, g.pagePosts = map[string]*graphPost{}, map[string][]*graphPost{}
	for i, q := range s.Posts {
		if q.ID == "" || q.PageID == "" {
			return fmt.Errorf("restore graph: post %d has no id or page", i)
		}
		// The id's second half is the counter the post was made with,
		// which orders the posts and their paging cursors.
		_, n, _ := strings.Cut(q.ID, "_")
		seq, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return fmt.Errorf("restore graph: post id %q: %w", q.ID, err)
		}
		p := &graphPost{GraphPost: q, seq: seq}
		g.posts[p.ID] = p
		g.pagePosts[p.PageID] = append(g.pagePosts[p.PageID], p)
	}
	if s.Seq > g.seq {
		g.seq = s.Seq
	}
	return nil
}

// MastodonState is what a Mastodon emulation keeps.
type MastodonState struct {
	Seq      int64                  `json:"seq"`
	Statuses []MastodonStatusRecord `json:"statuses"` // oldest first
}

// MastodonStatusRecord is one status of a MastodonState; Set is true when
// SetEngagement fixed its counters.
type MastodonStatusRecord struct {
	MastodonStatus
	Set bool `json:",omitempty"`
}

// State returns what m has recorded.
func (m *Mastodon) State() MastodonState {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := MastodonState{Seq: m.seq, Statuses: make([]MastodonStatusRecord, 0, len(m.statuses))}
	for _, st := range m.statuses {
		s.Statuses = append(s.Statuses, MastodonStatusRecord{MastodonStatus: st.MastodonStatus, Set: st.set})
	}
	return s
}

// Restore replaces m's statuses and id counter with s's.
func (m *Mastodon) Restore(s MastodonState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.statuses, m.byID = nil, map[string]*mastoStatus{}
	for i, r := range s.Statuses {
		if r.ID == "" {
			return fmt.Errorf("restore mastodon: status %d has no id", i)
		}
		st := &mastoStatus{MastodonStatus: r.MastodonStatus, set: r.Set}
		m.statuses = append(m.statuses, st)
		m.byID[st.ID] = st
	}
	m.seq = s.Seq
	return nil
}

// BlueskyState is what a Bluesky emulation keeps: posts (with the records
// as sent), blobs, the last record key, and the sessions, so that a
// client's stored tokens still work after a restart.
type BlueskyState struct {
	LastTID  uint64                `json:"last_tid"`
	Posts    []BlueskyPostRecord   `json:"posts"` // oldest first
	Blobs    []BlueskyBlob         `json:"blobs,omitempty"`
	Sessions []BlueskySessionToken `json:"sessions,omitempty"`
}

// BlueskyPostRecord is one post of a BlueskyState.
type BlueskyPostRecord struct {
	BlueskyPost
	Record json.RawMessage
	Set    bool `json:",omitempty"`
}

// BlueskySessionToken is an access or refresh token and whom it is for.
type BlueskySessionToken struct {
	Token   string
	Refresh bool
	DID     string
	Expires time.Time
}

// State returns what b has recorded.
func (b *Bluesky) State() BlueskyState {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := BlueskyState{LastTID: b.lastTID, Posts: make([]BlueskyPostRecord, 0, len(b.posts))}
	for _, p := range b.posts {
		s.Posts = append(s.Posts, BlueskyPostRecord{BlueskyPost: p.BlueskyPost, Record: p.record, Set: p.set})
	}
	for _, blob := range b.blobs {
		s.Blobs = append(s.Blobs, blob)
	}
	// Sessions that have expired are left out: they would only grow the state.
	now := b.opts.Now()
	for tok, g := range b.access {
		if g.expires.After(now) {
			s.Sessions = append(s.Sessions, BlueskySessionToken{Token: tok, DID: g.did, Expires: g.expires})
		}
	}
	for tok, g := range b.refresh {
		if g.expires.After(now) {
			s.Sessions = append(s.Sessions, BlueskySessionToken{Token: tok, Refresh: true, DID: g.did, Expires: g.expires})
		}
	}
	return s
}

// Restore replaces b's posts, blobs, sessions and last record key with s's.
// Sessions of accounts b does not know are dropped.
func (b *Bluesky) Restore(s BlueskyState) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.posts, b.byURI = nil, map[string]*bskyPost{}
	for i, r := range s.Posts {
		if r.URI == "" {
			return fmt.Errorf("restore bluesky: post %d has no uri", i)
		}
		p := &bskyPost{BlueskyPost: r.BlueskyPost, record: r.Record, set: r.Set}
		b.posts = append(b.posts, p)
		b.byURI[p.URI] = p
	}
	b.blobs = map[string]BlueskyBlob{}
	for _, blob := range s.Blobs {
		b.blobs[blob.CID] = blob
	}
	b.access, b.refresh = map[string]bskyToken{}, map[string]bskyToken{}
	for _, t := range s.Sessions {
		if b.accounts[t.DID] == nil {
			continue
		}
		if t.Refresh {
			b.refresh[t.Token] = bskyToken{did: t.DID, expires: t.Expires}
		} else {
			b.access[t.Token] = bskyToken{did: t.DID, expires: t.Expires}
		}
	}
	b.lastTID = s.LastTID
	return nil
}

// orDefault sets *v to def when it is not positive: an emulation's options
// take zero (or less) as "the network's default".
func orDefault[T int | int64 | float64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

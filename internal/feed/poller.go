// Package feed watches RSS, Atom and JSON feeds (over http, https and file://)
// with github.com/mmcdole/gofeed and records their items as articles in a
// herald.Store: conditionally (ETag / If-Modified-Since), with a deadline and a
// size cap per fetch, with bounded concurrency, and with exponential backoff
// for a failing source. A feed's backlog is recorded, not announced, the first
// time it is seen; later new items are announced once.
package feed

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// checkEvery is how often Run looks for due sources when nothing else wakes it.
const checkEvery = time.Second

// Poller polls the configured sources on their schedules. Its methods are safe
// for concurrent use; several Pollers (one per instance) may share one store.
type Poller struct {
	store   Store
	opts    Options
	log     *slog.Logger
	client  clients
	sources map[string]SourceConfig
	seed    maphash.Seed
	bufs    sync.Pool // *bytes.Buffer for feed bodies

	mu     sync.Mutex
	synced bool
	hashes map[int64]uint64 // hash of the last body processed, per source ID
}

// New returns a Poller for opts.Sources over store. A nil logger discards.
func New(store Store, opts Options, logger *slog.Logger) *Poller {
	opts = opts.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := &Poller{
		store:   store,
		opts:    opts,
		log:     logger,
		client:  newClients(opts),
		sources: make(map[string]SourceConfig, len(opts.Sources)),
		seed:    maphash.MakeSeed(),
		hashes:  make(map[int64]uint64),
	}
	for _, s := range opts.Sources {
		if s.Interval <= 0 {
			s.Interval = DefaultInterval
		}
		p.sources[s.Name] = s
	}
	p.bufs.New = func() any { return new(bytes.Buffer) }
	return p
}

// sync writes the configured sources to the store.
func (p *Poller) sync(ctx context.Context) error {
	specs := make([]herald.SourceSpec, 0, len(p.opts.Sources))
	for _, s := range p.opts.Sources {
		specs = append(specs, herald.SourceSpec{Name: s.Name, URL: s.URL})
	}
	if err := p.store.SyncSources(ctx, specs); err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	p.mu.Lock()
	p.synced = true
	p.mu.Unlock()
	return nil
}

func (p *Poller) syncOnce(ctx context.Context) error {
	p.mu.Lock()
	done := p.synced
	p.mu.Unlock()
	if done {
		return nil
	}
	return p.sync(ctx)
}

// Run syncs the sources to the store, then polls due sources until ctx is
// cancelled. The store decides what is due (and leases it to this instance),
// so instances sharing a database split the work. On cancellation Run lets
// in-flight polls finish for up to Options.ShutdownGrace, interrupts the rest
// (they are due again at once, without counting as failures) and returns nil.
func (p *Poller) Run(ctx context.Context) error {
	if err := p.sync(ctx); err != nil {
		return err
	}
	p.log.Info("polling feeds", "sources", len(p.sources), "concurrency", p.opts.Concurrency)
	pollCtx, interrupt := context.WithCancel(context.WithoutCancel(ctx))
	defer interrupt()
	// Each finished poll reports when its source is due again, so a short
	// interval is honoured without waiting for the next periodic look.
	done := make(chan time.Time, p.opts.Concurrency)
	var wg sync.WaitGroup
	timer := time.NewTimer(checkEvery)
	defer timer.Stop()
	var next time.Time // earliest due time learnt from finished polls
	inflight, saturated, claim := 0, false, true
	for {
		if free := p.opts.Concurrency - inflight; claim && free > 0 {
			srcs, err := p.store.ClaimSources(ctx, p.opts.Owner, p.opts.Now(), p.opts.Lease, free)
			if err != nil && ctx.Err() == nil {
				p.log.Error("claim sources", "error", err)
			}
			saturated = len(srcs) == free
			for _, src := range srcs {
				inflight++
				wg.Go(func() { done <- p.pollClaimed(pollCtx, src) })
			}
		}
		wait := checkEvery
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(p.opts.Now()), time.Millisecond))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			p.drain(&wg, interrupt)
			p.log.Info("polling stopped")
			return nil
		case due := <-done:
			inflight--
			if !due.IsZero() && (next.IsZero() || due.Before(next)) {
				next = due
			}
			// Claim again at once only if due sources may have been left
			// waiting for a free slot.
			claim = saturated
		case <-timer.C:
			claim = true
			if !next.After(p.opts.Now()) {
				next = time.Time{}
			}
		}
	}
}

// drain waits for in-flight polls, interrupting them after the grace period.
func (p *Poller) drain(wg *sync.WaitGroup, interrupt context.CancelFunc) {
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	t := time.NewTimer(p.opts.ShutdownGrace)
	defer t.Stop()
	select {
	case <-finished:
	case <-t.C:
		interrupt()
		<-finished
	}
}

// PollOnce polls every source due now, Concurrency at a time, and returns
// when all are done. A source is polled at most once per call.
func (p *Poller) PollOnce(ctx context.Context) error {
	if err := p.syncOnce(ctx); err != nil {
		return err
	}
	sem := make(chan struct{}, p.opts.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	polled := make(map[int64]bool)
	for ctx.Err() == nil {
		srcs, err := p.store.ClaimSources(ctx, p.opts.Owner, p.opts.Now(), p.opts.Lease, p.opts.Concurrency)
		if err != nil {
			return fmt.Errorf("feed: %w", err)
		}
		fresh := 0
		for _, src := range srcs {
			if polled[src.ID] {
				// Due again already (a tiny interval): leave it for next time.
				p.release(ctx, src, src.NextPollAt)
				continue
			}
			polled[src.ID] = true
			fresh++
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				p.release(ctx, src, src.NextPollAt)
				continue
			}
			wg.Go(func() {
				defer func() { <-sem }()
				p.pollClaimed(ctx, src)
			})
		}
		if fresh == 0 {
			break
		}
	}
	return ctx.Err()
}

// PollSource fetches one source now, out of schedule, and records its items
// as a scheduled poll would (a never-polled source's items are its backlog).
// The source's polling state (validators, errors, next poll) belongs to the
// scheduled polls, which hold its lease, and is left alone.
func (p *Poller) PollSource(ctx context.Context, name string) error {
	cfg, ok := p.sources[name]
	if !ok {
		return fmt.Errorf("feed: source %q is not configured", name)
	}
	if err := p.syncOnce(ctx); err != nil {
		return err
	}
	src, err := p.store.GetSource(ctx, name)
	if err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	buf := p.getBuf()
	defer p.putBuf(buf)
	resp, err := fetch(ctx, p.client.forURL(ctx, cfg.URL), p.request(cfg.URL, "", ""), buf)
	if err != nil {
		return fmt.Errorf("feed: %s: %w", name, err)
	}
	_, _, _, err = p.process(ctx, src, cfg, resp.Body, resp.ContentType, resp.URL, p.opts.Now(), true)
	if err != nil {
		return fmt.Errorf("feed: %s: %w", name, err)
	}
	return nil
}

// Ingest processes a feed body delivered by push (WebSub) for the named
// source exactly like a polled one, and returns what the store did with each
// item. On a source never polled yet, the items are its backlog.
func (p *Poller) Ingest(ctx context.Context, sourceName string, body []byte, contentType string) ([]herald.SaveResult, error) {
	cfg, ok := p.sources[sourceName]
	if !ok {
		return nil, fmt.Errorf("feed: source %q is not configured", sourceName)
	}
	src, err := p.store.GetSource(ctx, sourceName)
	if err != nil {
		return nil, fmt.Errorf("feed: %w", err)
	}
	res, _, _, err := p.process(ctx, src, cfg, body, contentType, src.URL, p.opts.Now(), false)
	if err != nil {
		return nil, fmt.Errorf("feed: %s: %w", sourceName, err)
	}
	return res, nil
}

func (p *Poller) request(url, etag, lastModified string) Request {
	return Request{
		URL:          url,
		ETag:         etag,
		LastModified: lastModified,
		UserAgent:    p.opts.UserAgent,
		Timeout:      p.opts.Timeout,
		MaxBody:      p.opts.MaxBody,
	}
}

// maxPooledBuf keeps an occasional huge feed from pinning its buffer.
const maxPooledBuf = 1 << 20

func (p *Poller) getBuf() *bytes.Buffer { return p.bufs.Get().(*bytes.Buffer) }

func (p *Poller) putBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuf {
		b.Reset()
		p.bufs.Put(b)
	}
}

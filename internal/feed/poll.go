package feed

import (
	"context"
	"errors"
	"hash/maphash"
	"math/rand/v2"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/heraldhq/herald/internal/herald"
)

// saveTimeout bounds recording a poll, which happens even during shutdown.
const saveTimeout = 10 * time.Second

// outcome is what a successful poll learnt.
type outcome struct {
	status     int
	etag       string
	lastMod    string
	hub        string
	unchanged  bool // 304, or the same body as last time
	items      int
	parsed     int
	skipped    int
	fresh      int // announced
	retryAfter time.Time
}

// pollClaimed polls a source this instance holds the lease of, records the
// result and gives the lease back, and returns when the source is due again
// (zero if unknown). Every failure is logged here, once.
func (p *Poller) pollClaimed(ctx context.Context, src herald.Source) time.Time {
	log := p.log.With("source", src.Name)
	cfg, ok := p.sources[src.Name]
	if !ok {
		// Configured on another instance only: give it back untouched.
		log.Debug("claimed a source this instance does not know")
		p.release(ctx, src, p.opts.Now().Add(p.opts.Lease))
		return time.Time{}
	}
	start := p.opts.Now()
	began := time.Now()
	out, err := p.poll(ctx, src, cfg, start)
	if err != nil && ctx.Err() != nil {
		log.Info("poll interrupted by shutdown")
		p.release(ctx, src, start)
		return time.Time{}
	}
	res := herald.PollResult{
		SourceID:     src.ID,
		ETag:         src.ETag,
		LastModified: src.LastModified,
		Seeded:       src.Seeded,
		PolledAt:     start,
		HubURL:       src.HubURL,
	}
	if err != nil {
		res.Status = statusOf(err)
		res.Error = err.Error()
		res.Failures = src.Failures + 1
		res.NextPollAt = p.backoff(start, cfg, res.Failures, retryAfterOf(err))
		log.Warn("poll failed", "error", err, "failures", res.Failures,
			"retry_in", res.NextPollAt.Sub(start).Round(time.Second))
	} else {
		res.Status = out.status
		res.ETag, res.LastModified = out.etag, out.lastMod
		res.Seeded = true
		if !out.unchanged {
			// A feed that stops naming its hub ends its subscription (the
			// push subscriber unsubscribes): it is polled at its own pace.
			res.HubURL = out.hub
			if out.hub == "" {
				src.PushState = ""
			}
		}
		res.NextPollAt = p.nextPoll(start, cfg, src)
		if src.Failures > 0 {
			log.Info("source recovered", "after_failures", src.Failures)
		}
		log.Debug("polled", "status", out.status, "unchanged", out.unchanged, "items", out.items,
			"parsed", out.parsed, "skipped", out.skipped, "new", out.fresh,
			"duration", time.Since(began).Round(time.Millisecond))
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	if err := p.store.SavePoll(sctx, p.opts.Owner, res); err != nil {
		if errors.Is(err, herald.ErrLeaseLost) {
			log.Warn("poll not recorded: lease lost (poll took longer than the lease?)", "error", err)
		} else {
			log.Error("record poll", "error", err)
		}
		return time.Time{}
	}
	return res.NextPollAt
}

// poll fetches, parses and records one source.
func (p *Poller) poll(ctx context.Context, src herald.Source, cfg SourceConfig, now time.Time) (outcome, error) {
	buf := p.getBuf()
	defer p.putBuf(buf)
	etag, lastMod := src.ETag, src.LastModified
	if !src.Seeded {
		etag, lastMod = "", ""
	}
	resp, err := fetch(ctx, p.client.forURL(ctx, src.URL), p.request(src.URL, etag, lastMod), buf)
	if err != nil {
		return outcome{}, err
	}
	out := outcome{status: resp.Status, etag: resp.ETag, lastMod: resp.LastModified}
	if resp.NotModified() {
		out.unchanged = true
		return out, nil
	}
	sum := maphash.Bytes(p.seed, resp.Body)
	p.mu.Lock()
	same := src.Seeded && p.hashes[src.ID] == sum
	p.mu.Unlock()
	if same {
		out.unchanged = true
		return out, nil
	}
	_, info, fresh, err := p.process(ctx, src, cfg, resp.Body, resp.ContentType, resp.URL, now, true)
	if err != nil {
		return outcome{}, err
	}
	p.mu.Lock()
	p.hashes[src.ID] = sum
	p.mu.Unlock()
	out.hub, out.items, out.skipped, out.fresh = info.HubURL, info.Items, info.Skipped, fresh
	out.parsed = info.Parsed
	return out, nil
}

// process parses a feed body and records its items for src in one store
// transaction: nothing is recorded unless the whole body parsed. With
// skipKnown, the items the source's last body had, unchanged, are neither
// parsed nor recorded again (see parseBody). It returns the store's results
// and how many articles were announced.
func (p *Poller) process(ctx context.Context, src herald.Source, cfg SourceConfig, body []byte,
	contentType, fetchedFrom string, now time.Time, skipKnown bool) ([]herald.SaveResult, FeedInfo, int, error) {
	known, fps := p.loadPrints(ctx, src, skipKnown)
	pb, err := parseBody(body, contentType, fetchedFrom, known, func(f *gofeed.Feed) *mapper {
		return newMapper(f, fetchedFrom, now)
	})
	if err != nil {
		return nil, pb.info, 0, err
	}
	info, items, skipped := pb.info, pb.items, pb.skipped
	for _, s := range skipped {
		p.log.Debug("item skipped", "source", src.Name, "title", s.Title, "reason", s.Reason)
	}
	if len(items) == 0 {
		p.savePrints(ctx, fps, src, known, pb.prints)
		return nil, info, 0, nil
	}
	rules := p.rules(src, cfg)
	rules.Prepare(items, now)
	results, err := p.store.SaveArticles(ctx, src.ID, items, now)
	if err != nil {
		return nil, info, 0, err
	}
	p.warnFlood(src, rules, results)
	p.savePrints(ctx, fps, src, known, pb.prints)
	return results, info, p.announce(src, items, results), nil
}

// rules are the intake rules of a source for this delivery. On a feed's
// first sight its items are its backlog: only the newest Backfill are
// announced; later, every item is (the store announces only stories new to
// it or to this source).
func (p *Poller) rules(src herald.Source, cfg SourceConfig) herald.IntakeRules {
	r := herald.IntakeRules{
		Source: src.Name, Filter: cfg.Filter, Breaking: p.opts.BreakingCategories, MaxAge: p.opts.MaxAge,
		Backlog: !src.Seeded, Backfill: p.opts.Backfill, MaxNew: p.opts.MaxNewPerPoll,
	}
	if cfg.MaxNew != 0 {
		r.MaxNew = cfg.MaxNew
	}
	for _, t := range cfg.Targets {
		r.Targets = append(r.Targets, herald.IntakeTarget{Account: t, Filter: cfg.TargetFilters[t]})
	}
	if p.opts.Rules != nil {
		r = p.opts.Rules(src.Name, r)
	}
	return r
}

// warnFlood logs the stories of one delivery whose posts the flood limit
// recorded skipped.
func (p *Poller) warnFlood(src herald.Source, r herald.IntakeRules, results []herald.SaveResult) {
	n := 0
	for _, res := range results {
		if res.Flood {
			n++
		}
	}
	if n > 0 {
		p.log.Warn("flood: new stories beyond publish.max_new_per_poll recorded, not posted", "source", src.Name,
			"skipped", n, "max_new_per_poll", r.MaxNew, "release_with", "herald queue retry --flood "+src.Name)
	}
}

// announce hands on the announced articles the store created jobs for (or
// that are new to it), logs them and counts them.
func (p *Poller) announce(src herald.Source, items []herald.ArticleInput, results []herald.SaveResult) int {
	n := 0
	for i, r := range results {
		if i >= len(items) || !items[i].Announce || (!r.New && len(r.Jobs) == 0) {
			continue
		}
		p.log.Info("new article", "source", src.Name, "article_id", r.Article.ID, "url", r.Article.URL,
			"title", r.Article.Title, "jobs", len(r.Jobs))
		n++
		if p.opts.OnNew != nil {
			p.opts.OnNew(r.Article)
		}
	}
	return n
}

// release gives a claimed source back with its state unchanged, due at next.
func (p *Poller) release(ctx context.Context, src herald.Source, next time.Time) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	err := p.store.SavePoll(sctx, p.opts.Owner, herald.PollResult{
		SourceID: src.ID, ETag: src.ETag, LastModified: src.LastModified, Status: src.LastStatus,
		Error: src.LastError, Failures: src.Failures, Seeded: src.Seeded, PolledAt: src.LastPolledAt,
		NextPollAt: next, HubURL: src.HubURL,
	})
	if err != nil {
		p.log.Warn("release source", "source", src.Name, "error", err)
	}
}

// nextPoll schedules the poll after a successful one: the interval with
// jitter, or PushInterval while a WebSub subscription feeds the source.
func (p *Poller) nextPoll(now time.Time, cfg SourceConfig, src herald.Source) time.Time {
	iv := cfg.Interval
	if cfg.WebSub && src.PushState == "active" && src.PushLeaseUntil.After(now) {
		iv = max(iv, p.opts.PushInterval)
	}
	return now.Add(p.jitter(iv))
}

// backoff schedules the poll after the n-th consecutive failure: interval ×
// 2^n, capped at MaxBackoff (or the interval, if longer), with jitter; a
// server's Retry-After, when later and within a day, wins.
func (p *Poller) backoff(now time.Time, cfg SourceConfig, n int, retryAt time.Time) time.Time {
	limit := max(p.opts.MaxBackoff, cfg.Interval)
	d := cfg.Interval
	for range min(n, 32) {
		if d >= limit {
			break
		}
		d *= 2
	}
	next := now.Add(p.jitter(min(d, limit)))
	if retryAt.After(next) && retryAt.Before(now.Add(24*time.Hour)) {
		next = retryAt
	}
	return next
}

func (p *Poller) jitter(d time.Duration) time.Duration {
	if p.opts.Jitter <= 0 {
		return d
	}
	f := 1 + p.opts.Jitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

func statusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

func retryAfterOf(err error) time.Time {
	var se *StatusError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return time.Time{}
}

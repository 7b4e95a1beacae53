package herald

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Intake is the one place that decides what happens to the items a source
// delivers, whichever way they came (a poll, a WebSub push, the CMS webhook,
// `herald post`). It is done in two steps:
//
//   - Prepare, before the store, applies what an item alone decides: plain
//     text, breaking priority, staleness (publish.max_age), whether a
//     backlog item is announced, the targets and the filters that stop
//     some of them, and the batch's flood limit.
//   - Inside the store's transaction, with the rows it found for each item,
//     DecideItem says whether it is a new story or an edit (and what the
//     edit changes) and PlanJobs which automatic posts it gets; once all
//     are created, CreatedJobs.Skips says which are recorded skipped and
//     why (a filter, or beyond the flood limit: Flooded). The store only
//     persists what they decided.

// Reasons an automatic post is recorded skipped at intake.
const (
	// SkipFlood: the story came in one delivery with more than
	// publish.max_new_per_poll others; `herald queue retry --flood SOURCE`
	// sends them.
	SkipFlood = "flood"
	// SkipFiltered prefixes the rule of a filter that stopped the post:
	// "filtered (exclude categories: Opinion)".
	SkipFiltered = "filtered"
	// SkipStaleEdit starts the reason an item's edit is not applied: the
	// source edited it before the version stored (SaveResult.EditSkipped).
	SkipStaleEdit = "stale edit"
)

// IntakeTarget is an account a source posts to, with the filter of that
// account for the source (a nil Filter lets everything through).
type IntakeTarget struct {
	Account string
	Filter  *Filter
}

// IntakeRules are the rules of one source for one delivery.
type IntakeRules struct {
	// Source names the source (its section); filters on sections see it.
	Source string
	// Targets are the accounts items go to when the delivery names none.
	Targets []IntakeTarget
	// Filter is the source's own include/exclude filter (nil: none).
	Filter *Filter
	// Breaking categories give an item PriorityBreaking (case-insensitive).
	Breaking []string
	// MaxAge: an item published longer ago than this is stale: recorded,
	// never posted (0: no limit).
	MaxAge time.Duration
	// Backlog is set on a feed's first sight: its items are history, and
	// only the newest Backfill of them are announced.
	Backlog  bool
	Backfill int
	// MaxNew caps the new stories one delivery posts (0: no limit); see
	// Flooded. A backlog has its own cap, Backfill, which the operator
	// asked for: MaxNew does not cut it.
	MaxNew int
	// Review holds every post of the source for review; ReviewAccounts
	// holds every post of those accounts (review: true).
	Review         bool
	ReviewAccounts map[string]bool
	// Networks gives each account's network, for a story's text per network.
	Networks map[string]Network
}

// Prepare applies the rules to items delivered together, in place, and
// returns them. An item's Targets, when already set (the webhook payload
// names its accounts), are kept and only filtered.
func (r IntakeRules) Prepare(items []ArticleInput, now time.Time) []ArticleInput {
	for i := range items {
		it := &items[i]
		it.Title = PlainText(it.Title)
		it.Summary = PlainText(it.Summary)
		it.Author = PlainText(it.Author)
		if r.breaking(it.Categories) {
			it.Priority = PriorityBreaking
		}
		it.Stale = r.MaxAge > 0 && !it.PublishedAt.IsZero() && it.PublishedAt.Before(now.Add(-r.MaxAge))
		it.Announce = !r.Backlog && !it.Stale
		r.target(it)
		it.MaxNew = r.MaxNew
		if r.Backlog {
			it.MaxNew = 0
		}
	}
	if r.Backlog && r.Backfill > 0 {
		for _, i := range newestFirst(items, now)[:min(r.Backfill, len(items))] {
			items[i].Announce = !items[i].Stale
		}
	}
	return items
}

func (r IntakeRules) breaking(categories []string) bool {
	for _, c := range categories {
		for _, b := range r.Breaking {
			if strings.EqualFold(strings.TrimSpace(b), strings.TrimSpace(c)) {
				return true
			}
		}
	}
	return false
}

// target sets the item's targets and records the filters that stop them.
func (r IntakeRules) target(it *ArticleInput) {
	if it.Targets == nil {
		for _, t := range r.Targets {
			it.Targets = append(it.Targets, t.Account)
		}
	}
	it.Skip = nil
	source := r.Filter.Stops(it, r.Source)
	for _, acct := range it.Targets {
		rule := source
		if rule == "" {
			for _, t := range r.Targets {
				if t.Account == acct {
					rule = t.Filter.Stops(it, r.Source)
					break
				}
			}
		}
		reason := ""
		switch {
		case rule != "":
			reason = SkipFiltered + " (" + rule + ")"
		case it.Story.NoPost:
			reason = SkipNoPost
		}
		if reason != "" {
			if it.Skip == nil {
				it.Skip = make(map[string]string)
			}
			it.Skip[acct] = reason
		}
	}
	r.instruct(it)
}

// instruct sets the targets an item's posts are held for (the source's,
// the account's or the story's review) and their own text (the story's).
func (r IntakeRules) instruct(it *ArticleInput) {
	it.Hold, it.Text = nil, nil
	for _, acct := range it.Targets {
		if r.Review || r.ReviewAccounts[acct] || it.Story.Review {
			if it.Hold == nil {
				it.Hold = make(map[string]bool)
			}
			it.Hold[acct] = true
		}
		if text := it.Story.PostText(r.Networks[acct]); text != "" {
			if it.Text == nil {
				it.Text = make(map[string]string)
			}
			it.Text[acct] = text
		}
	}
}

// newestFirst returns the indexes of items by publication, newest first
// (undated items as if published now), ties in delivery order.
func newestFirst(items []ArticleInput, now time.Time) []int {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	published := func(i int) time.Time {
		if items[i].PublishedAt.IsZero() {
			return now
		}
		return items[i].PublishedAt
	}
	slices.SortStableFunc(order, func(a, b int) int { return published(b).Compare(published(a)) })
	return order
}

// Found is what a store found of an item in its transaction: the article
// with the item's canonical URL (current or earlier), else the one carrying
// the item's GUID in the source.
type Found struct {
	OK      bool
	Article Article
	ByURL   bool // found by URL, not by GUID
}

// ItemDecision is what DecideItem decided for one item.
type ItemDecision struct {
	// New: no article matched, Article is the one to insert (no ID yet).
	New bool
	// Article is the article as it must be stored.
	Article Article
	// Changed: an existing article is edited (New false).
	Changed bool
	// Write: an existing article's row is to be written: Changed, or only
	// its source edit time moved forward.
	Write bool
	// Skipped, when set, is why the item was not applied to the article
	// found: the source edited it before the version stored. The article
	// stays as it is; the item still links it to its source.
	Skipped string
	// Alias is the URL the article leaves when found by GUID under a new
	// one; it is kept so that the old URL still finds it.
	Alias string
}

// DecideItem decides whether an item is a new story or an edit of the
// article f found, and what the article becomes. An edit is never a new
// story; an item's empty fields never erase what is known; the publication
// time is set once; an item the source edited before the version stored
// (both edit times known) is not applied, so that edits arriving out of
// order or sent again never undo a later one; equal or later ones are.
// now and the times are kept to the millisecond the stores keep.
func DecideItem(it ArticleInput, f Found, source string, now time.Time) ItemDecision {
	now = toMS(now)
	if !f.OK {
		pub := it.PublishedAt
		if pub.IsZero() {
			pub = now
		}
		a := Article{
			URL: it.URL, GUID: it.GUID, Title: it.Title, Summary: it.Summary, Author: it.Author,
			ImageURL: it.ImageURL, Categories: slices.Clone(it.Categories), Section: source,
			PublishedAt: toMS(pub), FirstSeenAt: now, UpdatedAt: now, Stale: it.Stale,
			SourceUpdatedAt: msOrZero(it.UpdatedAt),
		}
		if len(a.Categories) == 0 {
			a.Categories = nil
		}
		return ItemDecision{New: true, Article: a}
	}
	a := f.Article
	edited := msOrZero(it.UpdatedAt)
	if !edited.IsZero() && edited.Before(a.SourceUpdatedAt) {
		return ItemDecision{Article: a, Skipped: fmt.Sprintf("%s: updated_at %s is older than the stored edit (%s); not applied",
			SkipStaleEdit, edited.Format(time.RFC3339Nano), a.SourceUpdatedAt.Format(time.RFC3339Nano))}
	}
	a.Categories = slices.Clone(a.Categories)
	changed := false
	set := func(dst *string, v string) {
		if v != "" && v != *dst {
			*dst, changed = v, true
		}
	}
	if !f.ByURL {
		set(&a.URL, it.URL)
	}
	set(&a.Title, it.Title)
	set(&a.Summary, it.Summary)
	set(&a.Author, it.Author)
	set(&a.ImageURL, it.ImageURL)
	if len(it.Categories) > 0 && !slices.Equal(it.Categories, a.Categories) {
		a.Categories, changed = slices.Clone(it.Categories), true
	}
	d := ItemDecision{Article: a, Changed: changed, Write: changed}
	if edited.After(a.SourceUpdatedAt) {
		d.Article.SourceUpdatedAt, d.Write = edited, true
	}
	if changed {
		d.Article.UpdatedAt = now
		if a.URL != f.Article.URL {
			d.Alias = f.Article.URL
		}
	}
	return d
}

func toMS(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

// msOrZero is toMS, keeping the zero time (unknown) zero.
func msOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return toMS(t)
}

// PlannedJob is an automatic post PlanJobs asks for: pending, or recorded
// skipped for SkipReason.
type PlannedJob struct {
	Account    string
	Priority   Priority
	SkipReason string
	// Held: the post waits for review (JobHeld).
	Held bool
	// Text is the post's own text ("": the account's template).
	Text string
	// PostAt is when the post is due, when the story asks for later.
	PostAt time.Time
}

// Due is when the planned post is due, given the time it is created.
func (p PlannedJob) Due(now time.Time) time.Time {
	if p.PostAt.After(now) {
		return toMS(p.PostAt)
	}
	return now
}

// PlanJobs returns the automatic posts (Seq 0) an item asks for once the
// store has saved it as a (new) article: one per target, once, when the
// item is announced and the story is new to the store or to the source
// (linked), and neither the item nor the article is stale. The store
// creates each for a target that has no job of the article yet (a
// hand-made post counts: it is not sent twice).
func PlanJobs(it ArticleInput, a Article, isNew, linked bool) []PlannedJob {
	if !it.Announce || it.Stale || a.Stale || !(isNew || linked) {
		return nil
	}
	out := make([]PlannedJob, 0, len(it.Targets))
	for _, acct := range it.Targets {
		if acct == "" || slices.ContainsFunc(out, func(p PlannedJob) bool { return p.Account == acct }) {
			continue
		}
		out = append(out, PlannedJob{Account: acct, Priority: it.Priority, SkipReason: it.Skip[acct],
			Held: it.Hold[acct], Text: it.Text[acct], PostAt: it.Story.PostAt})
	}
	return out
}

// Flooded decides which items of one delivery are beyond its flood limit
// (the items' MaxNew; 0: none): of the items that got at least one pending
// post (pending[i] > 0), the newest MaxNew keep them and the others' posts
// are to be recorded skipped with SkipFlood. now dates undated items.
func Flooded(items []ArticleInput, pending []int, now time.Time) []bool {
	out := make([]bool, len(items))
	if len(items) == 0 || items[0].MaxNew <= 0 {
		return out
	}
	kept := 0
	for _, i := range newestFirst(items, now) {
		if i >= len(pending) || pending[i] == 0 {
			continue
		}
		if kept < items[i].MaxNew {
			kept++
			continue
		}
		out[i] = true
	}
	return out
}

// CreatedJobs keeps the automatic posts a SaveArticles call creates (as
// pending rows) and the reasons PlanJobs gave to skip some, for Skips to
// decide, once all are created, which the store records skipped.
type CreatedJobs struct {
	pending map[int64][]int64  // by article
	skipped map[string][]int64 // by reason
}

// Add records a job created for an article, with the reason to skip it
// ("" for none).
func (c *CreatedJobs) Add(articleID, jobID int64, skipReason string) {
	if skipReason != "" {
		if c.skipped == nil {
			c.skipped = make(map[string][]int64)
		}
		c.skipped[skipReason] = append(c.skipped[skipReason], jobID)
		return
	}
	if c.pending == nil {
		c.pending = make(map[int64][]int64)
	}
	c.pending[articleID] = append(c.pending[articleID], jobID)
}

// Skip is jobs to record skipped for one reason.
type Skip struct {
	Reason string
	Jobs   []int64
}

// Skips applies Flooded to the call (items and their results, in order),
// marks the results of the stories beyond the flood limit (Flood), and
// returns every job to record skipped, by reason (in a stable order): the
// store does so in the same transaction, so no job is ever claimable in
// between.
func (c *CreatedJobs) Skips(items []ArticleInput, results []SaveResult, now time.Time) []Skip {
	counts := make([]int, len(results))
	seen := make(map[int64]bool, len(results))
	for i, r := range results {
		if !seen[r.Article.ID] { // an article two items matched counts once
			seen[r.Article.ID] = true
			counts[i] = len(c.pending[r.Article.ID])
		}
	}
	var out []Skip
	for i, f := range Flooded(items, counts, now) {
		if f {
			results[i].Flood = true
			if len(out) == 0 {
				out = append(out, Skip{Reason: SkipFlood})
			}
			out[0].Jobs = append(out[0].Jobs, c.pending[results[i].Article.ID]...)
		}
	}
	reasons := make([]string, 0, len(c.skipped))
	for r := range c.skipped {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		out = append(out, Skip{Reason: r, Jobs: c.skipped[r]})
	}
	return out
}

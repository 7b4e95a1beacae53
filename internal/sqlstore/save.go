package sqlstore

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Saver is what both stores' SaveArticles share within one call: its
// source and time, what it has written so far, and the statements both
// dialects say alike. A store's saver embeds it and adds how it finds the
// article an item is and how it links it to the source.
type Saver struct {
	Ctx      context.Context
	Q        Querier
	D        *Dialect
	SourceID int64
	Source   string // the source's name
	Now      time.Time
	Links    int // new links to the source
	Jobs     int // jobs created
	accounts map[string]bool
	created  herald.CreatedJobs
}

// NewSaver begins saving items of source sourceID at now in q's transaction.
func (d *Dialect) NewSaver(ctx context.Context, q Querier, sourceID int64, now time.Time) (*Saver, error) {
	s := &Saver{Ctx: ctx, Q: q, D: d, SourceID: sourceID, Now: now, accounts: make(map[string]bool)}
	err := q.QueryRow(ctx, `SELECT name FROM sources WHERE id = ?`, sourceID).Scan(&s.Source)
	return s, err
}

// Save persists what herald.DecideItem decides for an item and f, what was
// found of it: the article inserted or updated, linked to the source by
// link (which reports whether the link is new), and the jobs
// herald.PlanJobs plans.
func (s *Saver) Save(it herald.ArticleInput, f herald.Found, link func(articleID int64, isNew bool) (bool, error)) (herald.SaveResult, error) {
	d := herald.DecideItem(it, f, s.Source, s.Now)
	r := herald.SaveResult{New: d.New, Updated: d.Changed, EditSkipped: d.Skipped}
	a := d.Article
	switch {
	case d.New:
		if err := s.Insert(&a); err != nil {
			return r, err
		}
	case d.Write:
		if err := s.update(a, d.Alias); err != nil {
			return r, err
		}
	}
	linked, err := link(a.ID, r.New)
	if err != nil {
		return r, err
	}
	r.Article = a
	r.Jobs, err = s.CreateJobs(a, herald.PlanJobs(it, a, r.New, linked), r.New)
	return r, err
}

// Insert inserts a new article and sets its ID.
func (s *Saver) Insert(a *herald.Article) error {
	return s.Q.QueryRow(s.Ctx, `INSERT INTO articles (url, guid, title, summary, author, image_url,
		categories, section, published_at, first_seen_at, updated_at, stale, source_updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.URL, a.GUID, a.Title, a.Summary, a.Author, a.ImageURL, s.D.CategoriesValue(a.Categories), a.Section,
		MS(a.PublishedAt), MS(a.FirstSeenAt), MS(a.UpdatedAt), a.Stale, MS(a.SourceUpdatedAt)).Scan(&a.ID)
}

// update writes an edited article; alias, when set, is the URL it left
// (found by GUID under a new one), kept so that it still finds the article.
func (s *Saver) update(a herald.Article, alias string) error {
	if alias != "" {
		if _, err := s.Q.Exec(s.Ctx, `INSERT INTO article_urls (url, article_id) VALUES (?, ?)
			ON CONFLICT (url) DO UPDATE SET article_id = excluded.article_id`, alias, a.ID); err != nil {
			return err
		}
	}
	_, err := s.Q.Exec(s.Ctx, `UPDATE articles SET url = ?, title = ?, summary = ?, author = ?,
		image_url = ?, categories = ?, updated_at = ?, source_updated_at = ? WHERE id = ?`,
		a.URL, a.Title, a.Summary, a.Author, a.ImageURL, s.D.CategoriesValue(a.Categories), MS(a.UpdatedAt),
		MS(a.SourceUpdatedAt), a.ID)
	return err
}

// GUIDOwnerSQL finds the article of the source (?1) with a GUID (?2); the
// test for a non-empty GUID lets the partial index article_sources_guid
// serve (a generic, cached plan on PostgreSQL too).
const GUIDOwnerSQL = `SELECT article_id FROM article_sources WHERE source_id = ? AND guid = ? AND guid <> ''`

// FreeGUID returns guid, or "" when another article of the source has it
// already: a GUID is not recorded twice in a source.
func (s *Saver) FreeGUID(articleID int64, guid string) (string, error) {
	var other int64
	err := s.Q.QueryRow(s.Ctx, GUIDOwnerSQL, s.SourceID, guid).Scan(&other)
	switch {
	case err == nil && other != articleID:
		return "", nil
	case err != nil && !errors.Is(err, ErrNoRows):
		return "", err
	}
	return guid, nil
}

// Relink records that the source carries a linked article under a new guid.
func (s *Saver) Relink(articleID int64, guid string) error {
	_, err := s.Q.Exec(s.Ctx, `UPDATE article_sources SET guid = ? WHERE article_id = ? AND source_id = ?`,
		guid, articleID, s.SourceID)
	return err
}

// AddLink records that the source carries the article under guid.
func (s *Saver) AddLink(articleID int64, guid string) error {
	if _, err := s.Q.Exec(s.Ctx, `INSERT INTO article_sources (article_id, source_id, guid, first_seen_at)
		VALUES (?, ?, ?, ?)`, articleID, s.SourceID, guid, s.Now.UnixMilli()); err != nil {
		return err
	}
	s.Links++
	return nil
}

// CreateJobs creates the automatic posts herald.PlanJobs planned, each for
// a target that has no job at all for the article (a hand-made post counts:
// it is not sent twice), skipped where the plan says so. The row of a known
// article is locked first where instances write at once, so that another
// one creating jobs for it (a second source, a repost) waits and then sees
// these; a new one no one else can see yet.
func (s *Saver) CreateJobs(a herald.Article, plans []herald.PlannedJob, isNew bool) ([]int64, error) {
	if len(plans) == 0 {
		return nil, nil
	}
	if !isNew && s.D.LockRow != "" {
		var one int
		if err := s.Q.QueryRow(s.Ctx, `SELECT 1 FROM articles WHERE id = ?`+s.D.LockRow, a.ID).Scan(&one); err != nil {
			return nil, err
		}
	}
	var ids []int64
	for _, p := range plans {
		id, err := s.CreateJob(a, p, !isNew)
		if errors.Is(err, ErrJobExists) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// CreateJob creates the job p plans for article a (onlyFirst: unless the
// article has one for the account, ErrJobExists) and counts it.
func (s *Saver) CreateJob(a herald.Article, p herald.PlannedJob, onlyFirst bool) (int64, error) {
	if !s.accounts[p.Account] {
		if err := EnsureAccount(s.Ctx, s.Q, p.Account, s.Now); err != nil {
			return 0, err
		}
		s.accounts[p.Account] = true
	}
	id, err := InsertJob(s.Ctx, s.Q, JobRow{
		ArticleID: a.ID, Account: p.Account, Kind: herald.KindPost, Priority: p.Priority,
		Text: p.Text, Held: p.Held, PublishedAt: a.PublishedAt, Due: p.Due(s.Now), Now: s.Now, OnlyFirst: onlyFirst,
	})
	if err != nil {
		return 0, err
	}
	s.Jobs++
	s.created.Add(a.ID, id, p.SkipReason)
	return id, nil
}

// Finish records what the call leaves to do once its items are saved (out
// their results): the jobs herald's intake rules say to skip (filtered,
// beyond the flood limit) are marked skipped, and the source's count of
// articles grows by its new links.
func (s *Saver) Finish(items []herald.ArticleInput, out []herald.SaveResult) error {
	for _, sk := range s.created.Skips(items, out, s.Now) {
		for chunk := range slices.Chunk(sk.Jobs, 500) {
			args := []any{sk.Reason, s.Now.UnixMilli()}
			if _, err := s.Q.Exec(s.Ctx, `UPDATE jobs SET state = 'skipped', skip_reason = ?, updated_at = ?
				WHERE id IN `+in(&args, chunk), args...); err != nil {
				return err
			}
		}
	}
	if s.Links == 0 {
		return nil
	}
	_, err := s.Q.Exec(s.Ctx, `UPDATE sources SET article_count = article_count + ? WHERE id = ?`, s.Links, s.SourceID)
	return err
}

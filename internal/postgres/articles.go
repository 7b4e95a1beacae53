package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

// categories is how a list of categories is stored: never NULL.
func categories(c []string) []string {
	if c == nil {
		return []string{}
	}
	return c
}

// SaveArticles records items delivered by one source in one transaction; see
// herald.Store. Every item needs a canonical URL. Empty fields of an item
// never erase what is known; the publication time is set once. When another
// instance saves the same new story at the same moment, the loser's
// transaction hits the unique URL (or GUID, or job) and runs again, finding
// the winner's rows: one article, one job per account.
func (db *DB) SaveArticles(ctx context.Context, sourceID int64, items []herald.ArticleInput, now time.Time) ([]herald.SaveResult, error) {
	for i, it := range items {
		if it.URL == "" {
			return nil, fmt.Errorf("postgres: save articles: item %d has no URL", i)
		}
	}
	var out []herald.SaveResult
	err := db.write(ctx, retryUnique, func(tx pgx.Tx) error {
		out = make([]herald.SaveResult, 0, len(items))
		var source string
		if err := tx.QueryRow(ctx, `SELECT name FROM sources WHERE id = $1`, sourceID).Scan(&source); err != nil {
			return err
		}
		s := saver{ctx: ctx, tx: tx, d: db.Dialect(), sourceID: sourceID, source: source, now: now,
			accounts: make(map[string]bool)}
		ids := make([]int64, 0, len(items))
		for _, it := range items {
			r, err := s.save(it)
			if err != nil {
				return err
			}
			out = append(out, r)
			ids = append(ids, r.Article.ID)
		}
		if err := s.skip(items, out); err != nil {
			return err
		}
		if s.links > 0 {
			if _, err := tx.Exec(ctx, `UPDATE sources SET article_count = article_count + $1 WHERE id = $2`,
				s.links, sourceID); err != nil {
				return err
			}
		}
		sections, err := sqlstore.LoadSections(ctx, pq(tx), ids)
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Article.Sections = sections[out[i].Article.ID]
		}
		if s.jobs > 0 {
			return notifyJobs(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("save articles of source %d", sourceID), err)
	}
	return out, nil
}

// saver saves the items of one SaveArticles call.
type saver struct {
	ctx      context.Context
	tx       pgx.Tx
	d        *sqlstore.Dialect
	sourceID int64
	source   string
	now      time.Time
	accounts map[string]bool // accounts known to have a row
	links    int             // new links to the source
	jobs     int             // jobs created
	created  herald.CreatedJobs
}

// skip records skipped the jobs the call created that herald's intake
// rules say to skip (filtered, beyond the flood limit).
func (s *saver) skip(items []herald.ArticleInput, out []herald.SaveResult) error {
	for _, sk := range s.created.Skips(items, out, s.now) {
		if err := skipJobs(s.ctx, s.tx, sk.Jobs, sk.Reason, s.now); err != nil {
			return err
		}
	}
	return nil
}

// skipJobs records jobs just created as skipped for reason.
func skipJobs(ctx context.Context, tx pgx.Tx, ids []int64, reason string, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE jobs SET state = 'skipped', skip_reason = $1, updated_at = $2 WHERE id = ANY($3)`,
		reason, now.UnixMilli(), ids)
	return err
}

// save persists what herald.DecideItem and herald.PlanJobs decide for an
// item and the article it matches.
func (s *saver) save(it herald.ArticleInput) (herald.SaveResult, error) {
	var r herald.SaveResult
	found, byURL, err := s.match(it)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return r, err
	}
	d := herald.DecideItem(it, herald.Found{OK: err == nil, Article: found, ByURL: byURL}, s.source, s.now)
	r.New, r.Updated, r.EditSkipped = d.New, d.Changed, d.Skipped
	a := d.Article
	switch {
	case d.New:
		if err := s.insert(&a); err != nil {
			return r, err
		}
	case d.Write:
		if err := s.update(a, d.Alias); err != nil {
			return r, err
		}
	}
	linked, err := s.link(a.ID, it.GUID, r.New)
	if err != nil {
		return r, err
	}
	r.Article = a
	r.Jobs, err = s.createJobs(a, herald.PlanJobs(it, a, r.New, linked), r.New)
	s.jobs += len(r.Jobs)
	return r, err
}

// match finds the article an item is: by canonical URL (current or earlier),
// else by its GUID in this source. The row of an item with a source edit
// time is locked until the transaction ends and read as last committed:
// instances saving edits of one article at once take turns, so none
// decides (herald.DecideItem compares the edit times) on a version another
// has just replaced.
func (s *saver) match(it herald.ArticleInput) (a herald.Article, byURL bool, err error) {
	lock := ""
	if !it.UpdatedAt.IsZero() {
		lock = s.d.LockRow
	}
	a, err = s.d.ScanArticle(s.tx.QueryRow(s.ctx, `SELECT `+sqlstore.ArticleCols+` FROM articles a WHERE a.id = (
		SELECT id FROM articles WHERE url = $1 UNION ALL SELECT article_id FROM article_urls WHERE url = $1 LIMIT 1)`+lock,
		it.URL))
	if err == nil || !errors.Is(err, pgx.ErrNoRows) || it.GUID == "" {
		return a, err == nil, err
	}
	a, err = s.d.ScanArticle(s.tx.QueryRow(s.ctx, `SELECT `+sqlstore.ArticleCols+` FROM articles a WHERE a.id = (
		SELECT article_id FROM article_sources WHERE source_id = $1 AND guid = $2 AND guid <> '')`+lock,
		s.sourceID, it.GUID))
	return a, false, err
}

func (s *saver) insert(a *herald.Article) error {
	return s.tx.QueryRow(s.ctx, `INSERT INTO articles (url, guid, title, summary, author, image_url,
		categories, section, published_at, first_seen_at, updated_at, stale, source_updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		a.URL, a.GUID, a.Title, a.Summary, a.Author, a.ImageURL, categories(a.Categories), a.Section,
		ms(a.PublishedAt), ms(a.FirstSeenAt), ms(a.UpdatedAt), a.Stale, ms(a.SourceUpdatedAt)).Scan(&a.ID)
}

// update writes an edited article; alias, when set, is the URL it left
// (found by GUID under a new one), kept so that it still finds the article.
func (s *saver) update(a herald.Article, alias string) error {
	if alias != "" {
		if _, err := s.tx.Exec(s.ctx, `INSERT INTO article_urls (url, article_id) VALUES ($1, $2)
			ON CONFLICT (url) DO UPDATE SET article_id = excluded.article_id`, alias, a.ID); err != nil {
			return err
		}
	}
	_, err := s.tx.Exec(s.ctx, `UPDATE articles SET url = $1, title = $2, summary = $3, author = $4,
		image_url = $5, categories = $6, updated_at = $7, source_updated_at = $8 WHERE id = $9`,
		a.URL, a.Title, a.Summary, a.Author, a.ImageURL, categories(a.Categories), ms(a.UpdatedAt),
		ms(a.SourceUpdatedAt), a.ID)
	return err
}

// link records that this source carries the article under guid, and reports
// whether the link is new. A GUID already given to another article of the
// source is not recorded twice. A new article has no links, and no other
// article of the source has its GUID (match would have found it).
func (s *saver) link(articleID int64, guid string, isNew bool) (bool, error) {
	if !isNew {
		if guid != "" {
			// guid <> '' lets the partial index article_sources_guid serve
			// a generic (cached) plan.
			var other int64
			err := s.tx.QueryRow(s.ctx, `SELECT article_id FROM article_sources WHERE source_id = $1 AND guid = $2
				AND guid <> ''`, s.sourceID, guid).Scan(&other)
			switch {
			case err == nil && other != articleID:
				guid = ""
			case err != nil && !errors.Is(err, pgx.ErrNoRows):
				return false, err
			}
		}
		var cur string
		err := s.tx.QueryRow(s.ctx, `SELECT guid FROM article_sources WHERE article_id = $1 AND source_id = $2`,
			articleID, s.sourceID).Scan(&cur)
		switch {
		case err == nil:
			if guid != "" && guid != cur {
				_, err = s.tx.Exec(s.ctx, `UPDATE article_sources SET guid = $1 WHERE article_id = $2 AND source_id = $3`,
					guid, articleID, s.sourceID)
			}
			return false, err
		case !errors.Is(err, pgx.ErrNoRows):
			return false, err
		}
	}
	if _, err := s.tx.Exec(s.ctx, `INSERT INTO article_sources (article_id, source_id, guid, first_seen_at)
		VALUES ($1, $2, $3, $4)`, articleID, s.sourceID, guid, s.now.UnixMilli()); err != nil {
		return false, err
	}
	s.links++
	return true, nil
}

// createJobs creates the automatic posts herald.PlanJobs planned, each for
// a target that has no job at all for the article (a hand-made post counts:
// it is not sent twice), skipped where the plan says so.
// The row of a known article is locked first, so that another instance
// creating jobs for it (a second source, a repost) waits and then sees
// these; a new one no one else can see yet.
func (s *saver) createJobs(a herald.Article, plans []herald.PlannedJob, isNew bool) ([]int64, error) {
	if len(plans) == 0 {
		return nil, nil
	}
	if !isNew {
		if err := lockArticle(s.ctx, s.tx, a.ID); err != nil {
			return nil, err
		}
	}
	var ids []int64
	for _, p := range plans {
		acct := p.Account
		if !s.accounts[acct] {
			if err := sqlstore.EnsureAccount(s.ctx, pq(s.tx), acct, s.now); err != nil {
				return nil, err
			}
			s.accounts[acct] = true
		}
		id, err := sqlstore.InsertJob(s.ctx, pq(s.tx), sqlstore.JobRow{
			ArticleID: a.ID, Account: acct, Kind: herald.KindPost, Priority: p.Priority,
			Text: p.Text, Held: p.Held, PublishedAt: a.PublishedAt, Due: p.Due(s.now), Now: s.now, OnlyFirst: !isNew,
		})
		if errors.Is(err, sqlstore.ErrJobExists) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
		s.created.Add(a.ID, id, p.SkipReason)
	}
	return ids, nil
}

// lockArticle takes the article's row lock (not the key lock, so jobs may
// still reference it) until the transaction ends.
func lockArticle(ctx context.Context, tx pgx.Tx, id int64) error {
	var one int
	return tx.QueryRow(ctx, `SELECT 1 FROM articles WHERE id = $1 FOR NO KEY UPDATE`, id).Scan(&one)
}

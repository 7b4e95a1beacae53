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
		base, err := db.Dialect().NewSaver(ctx, pq(tx), sourceID, now)
		if err != nil {
			return err
		}
		s := saver{Saver: base, tx: tx}
		ids := make([]int64, 0, len(items))
		for _, it := range items {
			r, err := s.save(it)
			if err != nil {
				return err
			}
			out = append(out, r)
			ids = append(ids, r.Article.ID)
		}
		if err := s.Finish(items, out); err != nil {
			return err
		}
		sections, err := sqlstore.LoadSections(ctx, pq(tx), ids)
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Article.Sections = sections[out[i].Article.ID]
		}
		if s.Jobs > 0 {
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
	*sqlstore.Saver
	tx pgx.Tx
}

// save persists what herald.DecideItem and herald.PlanJobs decide for an
// item and the article it matches.
func (s *saver) save(it herald.ArticleInput) (herald.SaveResult, error) {
	found, byURL, err := s.match(it)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return herald.SaveResult{}, err
	}
	return s.Save(it, herald.Found{OK: err == nil, Article: found, ByURL: byURL}, func(id int64, isNew bool) (bool, error) {
		return s.link(id, it.GUID, isNew)
	})
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
		lock = s.D.LockRow
	}
	a, err = s.D.ScanArticle(s.tx.QueryRow(s.Ctx, `SELECT `+sqlstore.ArticleCols+` FROM articles a WHERE a.id = (
		SELECT id FROM articles WHERE url = $1 UNION ALL SELECT article_id FROM article_urls WHERE url = $1 LIMIT 1)`+lock,
		it.URL))
	if err == nil || !errors.Is(err, pgx.ErrNoRows) || it.GUID == "" {
		return a, err == nil, err
	}
	a, err = s.D.ScanArticle(s.tx.QueryRow(s.Ctx, `SELECT `+sqlstore.ArticleCols+` FROM articles a WHERE a.id = (
		SELECT article_id FROM article_sources WHERE source_id = $1 AND guid = $2 AND guid <> '')`+lock,
		s.SourceID, it.GUID))
	return a, false, err
}

// link records that this source carries the article under guid, and reports
// whether the link is new. A GUID already given to another article of the
// source is not recorded twice. A new article has no links, and no other
// article of the source has its GUID (match would have found it).
func (s *saver) link(articleID int64, guid string, isNew bool) (bool, error) {
	if !isNew {
		if guid != "" {
			var err error
			if guid, err = s.FreeGUID(articleID, guid); err != nil {
				return false, err
			}
		}
		var cur string
		err := s.tx.QueryRow(s.Ctx, `SELECT guid FROM article_sources WHERE article_id = $1 AND source_id = $2`,
			articleID, s.SourceID).Scan(&cur)
		switch {
		case err == nil:
			if guid != "" && guid != cur {
				return false, s.Relink(articleID, guid)
			}
			return false, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return false, err
		}
	}
	if err := s.AddLink(articleID, guid); err != nil {
		return false, err
	}
	return true, nil
}

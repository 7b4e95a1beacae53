package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

const articleCols = `a.id, a.url, a.guid, a.title, a.summary, a.author, a.image_url, a.categories,
	a.section, a.published_at, a.first_seen_at, a.updated_at, a.stale`

func scanArticle(row interface{ Scan(...any) error }) (herald.Article, error) {
	var a herald.Article
	var cats string
	err := row.Scan(&a.ID, &a.URL, &a.GUID, &a.Title, &a.Summary, &a.Author, &a.ImageURL, &cats,
		&a.Section, tm(&a.PublishedAt), tm(&a.FirstSeenAt), tm(&a.UpdatedAt), &a.Stale)
	if err != nil {
		return a, err
	}
	a.Categories, err = decodeCategories(cats)
	return a, err
}

func encodeCategories(c []string) string {
	if len(c) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(c) // a []string always marshals
	return string(b)
}

func decodeCategories(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var c []string
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	return c, nil
}

// Lookups of SaveArticles (plan_test.go checks that each is an index search).
const (
	qArticleByURL = `SELECT ` + articleCols + ` FROM articles a WHERE a.id = (
		SELECT id FROM articles WHERE url = ?1 UNION ALL SELECT article_id FROM article_urls WHERE url = ?1 LIMIT 1)`
	// guid <> '' lets article_sources_guid serve.
	qArticleByGUID = `SELECT ` + articleCols + ` FROM articles a WHERE a.id = (
		SELECT article_id FROM article_sources WHERE source_id = ? AND guid = ? AND guid <> '')`
	qGUIDOwner = `SELECT article_id FROM article_sources WHERE source_id = ? AND guid = ? AND guid <> ''`
	// qMatch finds an item's article in one search: by canonical URL (current
	// or earlier), else by GUID in this source; with whether the URL matched
	// and the article's link to this source (its GUID, NULL when unlinked).
	qMatch = `SELECT ` + articleCols + `, m.by_url, x.guid FROM (
			SELECT id, 1 AS by_url FROM articles WHERE url = ?1
			UNION ALL SELECT article_id, 1 FROM article_urls WHERE url = ?1
			UNION ALL SELECT article_id, 0 FROM article_sources WHERE source_id = ?2 AND guid = ?3 AND guid <> ''
			LIMIT 1) m
		JOIN articles a ON a.id = m.id
		LEFT JOIN article_sources x ON x.article_id = a.id AND x.source_id = ?2`
	qJobsOf = `SELECT count(*) FROM jobs WHERE article_id = ? AND account_id = ?`
)

// SaveArticles records items delivered by one source in one transaction; see
// herald.Store. Every item needs a canonical URL. Empty fields of an item
// never erase what is known; the publication time is set once.
func (db *DB) SaveArticles(ctx context.Context, sourceID int64, items []herald.ArticleInput, now time.Time) ([]herald.SaveResult, error) {
	for i, it := range items {
		if it.URL == "" {
			return nil, fmt.Errorf("sqlite: save articles: item %d has no URL", i)
		}
	}
	out := make([]herald.SaveResult, 0, len(items))
	err := db.write(ctx, func(tx *txn) error {
		var source string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM sources WHERE id = ?`, sourceID).Scan(&source); err != nil {
			return err
		}
		s := saver{ctx: ctx, tx: tx, sourceID: sourceID, source: source, now: now, accounts: make(map[string]bool)}
		var ids []int64 // of articles known before: a new one is in this source alone
		for _, it := range items {
			r, err := s.save(it)
			if err != nil {
				return err
			}
			out = append(out, r)
			if !r.New {
				ids = append(ids, r.Article.ID)
			}
		}
		if s.links > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE sources SET article_count = article_count + ? WHERE id = ?`,
				s.links, sourceID); err != nil {
				return err
			}
		}
		sections, err := loadSections(ctx, tx, ids)
		if err != nil {
			return err
		}
		for i := range out {
			if secs, ok := sections[out[i].Article.ID]; ok {
				out[i].Article.Sections = secs
			} else {
				out[i].Article.Sections = []string{source}
			}
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
	tx       *txn
	sourceID int64
	source   string
	now      time.Time
	accounts map[string]bool // accounts known to have a row
	links    int             // new links to the source
}

func (s *saver) save(it herald.ArticleInput) (herald.SaveResult, error) {
	var r herald.SaveResult
	a, byURL, l, err := s.match(it)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		a, err = s.insert(it)
		r.New = true
	case err == nil:
		r.Updated, err = s.update(&a, it, byURL)
	}
	if err != nil {
		return r, err
	}
	linked, err := s.link(a.ID, it.GUID, r.New, l)
	if err != nil {
		return r, err
	}
	r.Article = a
	if it.Announce && !it.Stale && !a.Stale && (r.New || linked) {
		r.Jobs, err = s.createJobs(a, it, r.New)
	}
	return r, err
}

// match finds the article an item is: by canonical URL (current or earlier),
// else by its GUID in this source. It also returns the article's link to
// the source: linked, under GUID cur.
func (s *saver) match(it herald.ArticleInput) (a herald.Article, byURL bool, l link, err error) {
	var cats string
	var guid sql.NullString
	err = s.tx.QueryRowContext(s.ctx, qMatch, it.URL, s.sourceID, it.GUID).Scan(&a.ID, &a.URL, &a.GUID, &a.Title,
		&a.Summary, &a.Author, &a.ImageURL, &cats, &a.Section, tm(&a.PublishedAt), tm(&a.FirstSeenAt),
		tm(&a.UpdatedAt), &a.Stale, &byURL, &guid)
	if err != nil {
		return a, false, l, err
	}
	a.Categories, err = decodeCategories(cats)
	return a, byURL, link{linked: guid.Valid, cur: guid.String, byGUID: !byURL}, err
}

// link is what match learnt of an article's link to the saver's source.
type link struct {
	linked bool   // the source carries the article already
	cur    string // under this GUID
	byGUID bool   // the article was found by the item's GUID in this source
}

func (s *saver) insert(it herald.ArticleInput) (herald.Article, error) {
	pub := it.PublishedAt
	if pub.IsZero() {
		pub = s.now
	}
	a := herald.Article{
		URL: it.URL, GUID: it.GUID, Title: it.Title, Summary: it.Summary, Author: it.Author,
		ImageURL: it.ImageURL, Categories: slices.Clone(it.Categories), Section: s.source,
		PublishedAt: fromMS(pub.UnixMilli()), FirstSeenAt: fromMS(s.now.UnixMilli()),
		UpdatedAt: fromMS(s.now.UnixMilli()), Stale: it.Stale,
	}
	if len(a.Categories) == 0 {
		a.Categories = nil
	}
	err := s.tx.QueryRowContext(s.ctx, `INSERT INTO articles (url, guid, title, summary, author, image_url,
		categories, section, published_at, first_seen_at, updated_at, stale)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.URL, a.GUID, a.Title, a.Summary, a.Author, a.ImageURL, encodeCategories(a.Categories), a.Section,
		ms(a.PublishedAt), ms(a.FirstSeenAt), ms(a.UpdatedAt), a.Stale).Scan(&a.ID)
	return a, err
}

// update applies an item's non-empty fields to a known article and reports
// whether anything changed. An article found by GUID under a new URL moves to
// it and keeps the old one as an alias.
func (s *saver) update(a *herald.Article, it herald.ArticleInput, byURL bool) (bool, error) {
	changed := false
	set := func(dst *string, v string) {
		if v != "" && v != *dst {
			*dst, changed = v, true
		}
	}
	oldURL := a.URL
	if !byURL {
		set(&a.URL, it.URL)
	}
	set(&a.Title, it.Title)
	set(&a.Summary, it.Summary)
	set(&a.Author, it.Author)
	set(&a.ImageURL, it.ImageURL)
	if len(it.Categories) > 0 && !slices.Equal(it.Categories, a.Categories) {
		a.Categories, changed = slices.Clone(it.Categories), true
	}
	if !changed {
		return false, nil
	}
	if a.URL != oldURL {
		if _, err := s.tx.ExecContext(s.ctx, `INSERT INTO article_urls (url, article_id) VALUES (?, ?)
			ON CONFLICT (url) DO UPDATE SET article_id = excluded.article_id`, oldURL, a.ID); err != nil {
			return false, err
		}
	}
	a.UpdatedAt = fromMS(s.now.UnixMilli())
	_, err := s.tx.ExecContext(s.ctx, `UPDATE articles SET url = ?, title = ?, summary = ?, author = ?,
		image_url = ?, categories = ?, updated_at = ? WHERE id = ?`,
		a.URL, a.Title, a.Summary, a.Author, a.ImageURL, encodeCategories(a.Categories), ms(a.UpdatedAt), a.ID)
	return true, err
}

// link records that this source carries the article under guid, and reports
// whether the link is new. A GUID already given to another article of the
// source is not recorded twice. l is what match learnt; a new article has
// no link, and its GUID no owner in the source (match looked for it).
func (s *saver) link(articleID int64, guid string, isNew bool, l link) (bool, error) {
	if guid != "" && !isNew && !l.byGUID && guid != l.cur {
		var other int64
		err := s.tx.QueryRowContext(s.ctx, qGUIDOwner, s.sourceID, guid).Scan(&other)
		switch {
		case err == nil && other != articleID:
			guid = ""
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return false, err
		}
	}
	if l.linked && !isNew {
		if guid != "" && guid != l.cur {
			_, err := s.tx.ExecContext(s.ctx, `UPDATE article_sources SET guid = ? WHERE article_id = ? AND source_id = ?`,
				guid, articleID, s.sourceID)
			return false, err
		}
		return false, nil
	}
	if _, err := s.tx.ExecContext(s.ctx, `INSERT INTO article_sources (article_id, source_id, guid, first_seen_at)
		VALUES (?, ?, ?, ?)`, articleID, s.sourceID, guid, s.now.UnixMilli()); err != nil {
		return false, err
	}
	s.links++
	return true, nil
}

// createJobs creates the automatic post (Seq 0) for each target that has no
// job at all for the article (a hand-made post counts: it is not sent twice).
func (s *saver) createJobs(a herald.Article, it herald.ArticleInput, isNew bool) ([]int64, error) {
	var ids []int64
	seen := make(map[string]bool, len(it.Targets))
	for _, acct := range it.Targets {
		if acct == "" || seen[acct] {
			continue
		}
		seen[acct] = true
		if !isNew {
			var n int
			if err := s.tx.QueryRowContext(s.ctx, qJobsOf, a.ID, acct).Scan(&n); err != nil {
				return nil, err
			}
			if n > 0 {
				continue
			}
		}
		if !s.accounts[acct] {
			if err := ensureAccount(s.ctx, s.tx, acct, s.now); err != nil {
				return nil, err
			}
			s.accounts[acct] = true
		}
		id, err := insertJob(s.ctx, s.tx, jobRow{
			articleID: a.ID, account: acct, seq: 0, kind: herald.KindPost, priority: it.Priority,
			publishedAt: a.PublishedAt, due: s.now, now: s.now,
		})
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// loadSections returns the names of the sources linked to each article, in
// the order they first carried it.
func loadSections(ctx context.Context, q queryer, ids []int64) (map[int64][]string, error) {
	out := make(map[int64][]string, len(ids))
	for chunk := range slices.Chunk(ids, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := q.QueryContext(ctx, `SELECT x.article_id, s.name FROM article_sources x
			JOIN sources s ON s.id = x.source_id WHERE x.article_id IN (`+placeholders(len(chunk))+`)
			ORDER BY x.article_id, x.first_seen_at, s.id`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = append(out[id], name)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetArticle returns an article by ID.
func (db *DB) GetArticle(ctx context.Context, id int64) (herald.Article, error) {
	a, err := db.oneArticle(ctx, `SELECT `+articleCols+` FROM articles a WHERE a.id = ?`, id)
	return a, wrap(fmt.Sprintf("get article %d", id), err)
}

// FindArticle returns the article with this canonical URL (or one it had).
func (db *DB) FindArticle(ctx context.Context, canonicalURL string) (herald.Article, error) {
	a, err := db.oneArticle(ctx, qArticleByURL, canonicalURL)
	return a, wrap("find article", err)
}

func (db *DB) oneArticle(ctx context.Context, query string, args ...any) (herald.Article, error) {
	var a herald.Article
	err := db.read(ctx, func(tx *txn) error {
		var err error
		if a, err = scanArticle(tx.QueryRowContext(ctx, query, args...)); err != nil {
			return err
		}
		sections, err := loadSections(ctx, tx, []int64{a.ID})
		a.Sections = sections[a.ID]
		return err
	})
	return a, err
}

// ListArticles returns articles first seen at or after f.Since (and carried
// by f.Source), newest publication first.
func (db *DB) ListArticles(ctx context.Context, f herald.ArticleFilter) ([]herald.Article, error) {
	query := `SELECT ` + articleCols + ` FROM articles a WHERE a.first_seen_at >= ?`
	args := []any{f.Since.UnixMilli()}
	if f.Since.IsZero() {
		args[0] = int64(-1 << 62)
	}
	if f.Source != "" {
		query += ` AND a.id IN (SELECT x.article_id FROM article_sources x JOIN sources s ON s.id = x.source_id
			WHERE s.name = ?)`
		args = append(args, f.Source)
	}
	query += ` ORDER BY a.published_at DESC, a.id DESC`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	var out []herald.Article
	err := db.read(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			a, err := scanArticle(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
			ids = append(ids, a.ID)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		sections, err := loadSections(ctx, tx, ids)
		for i := range out {
			out[i].Sections = sections[out[i].ID]
		}
		return err
	})
	if err != nil {
		return nil, wrap("list articles", err)
	}
	return out, nil
}

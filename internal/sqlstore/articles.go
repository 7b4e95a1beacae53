package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/heraldhq/herald/internal/herald"
)

// ArticleCols reads an article row as a (scanned by ScanArticle).
const ArticleCols = `a.id, a.url, a.guid, a.title, a.summary, a.author, a.image_url, a.categories,
	a.section, a.published_at, a.first_seen_at, a.updated_at, a.stale, a.source_updated_at`

// ArticleDest returns the scan destinations of ArticleCols into a, then
// extra. Categories may be scanned as an empty list: see ScanArticle.
func (d *Dialect) ArticleDest(a *herald.Article, extra ...any) []any {
	dst := make([]any, 0, 14+len(extra))
	dst = append(dst, &a.ID, &a.URL, &a.GUID, &a.Title, &a.Summary, &a.Author, &a.ImageURL,
		d.Categories(&a.Categories), &a.Section, TM(&a.PublishedAt), TM(&a.FirstSeenAt), TM(&a.UpdatedAt),
		&a.Stale, TM(&a.SourceUpdatedAt))
	return append(dst, extra...)
}

// ScanArticle scans ArticleCols (then extra) into an article.
func (d *Dialect) ScanArticle(row Row, extra ...any) (herald.Article, error) {
	var a herald.Article
	err := row.Scan(d.ArticleDest(&a, extra...)...)
	if len(a.Categories) == 0 {
		a.Categories = nil
	}
	return a, err
}

// LoadSections returns the names of the sources linked to each article, in
// the order they first carried it.
func LoadSections(ctx context.Context, q Querier, ids []int64) (map[int64][]string, error) {
	out := make(map[int64][]string, len(ids))
	for chunk := range slices.Chunk(ids, 500) {
		var args []any
		rows, err := q.Query(ctx, `SELECT x.article_id, s.name FROM article_sources x
			JOIN sources s ON s.id = x.source_id WHERE x.article_id IN `+in(&args, chunk)+`
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
func (s *Store) GetArticle(ctx context.Context, id int64) (herald.Article, error) {
	a, err := s.oneArticle(ctx, `SELECT `+ArticleCols+` FROM articles a WHERE a.id = ?`, id)
	return a, s.wrap(fmt.Sprintf("get article %d", id), err)
}

// FindArticle returns the article with this canonical URL (or one it had).
func (s *Store) FindArticle(ctx context.Context, canonicalURL string) (herald.Article, error) {
	a, err := s.oneArticle(ctx, `SELECT `+ArticleCols+` FROM articles a WHERE a.id = (
		SELECT id FROM articles WHERE url = ?1 UNION ALL SELECT article_id FROM article_urls WHERE url = ?1 LIMIT 1)`,
		canonicalURL)
	return a, s.wrap("find article", err)
}

func (s *Store) oneArticle(ctx context.Context, query string, args ...any) (herald.Article, error) {
	var a herald.Article
	err := s.b.Read(ctx, func(q Querier) error {
		var err error
		if a, err = s.d.ScanArticle(q.QueryRow(ctx, query, args...)); err != nil {
			return err
		}
		sections, err := LoadSections(ctx, q, []int64{a.ID})
		a.Sections = sections[a.ID]
		return err
	})
	return a, err
}

// ListArticles returns articles first seen at or after f.Since (and carried
// by f.Source), newest publication first.
func (s *Store) ListArticles(ctx context.Context, f herald.ArticleFilter) ([]herald.Article, error) {
	query := `SELECT ` + ArticleCols + ` FROM articles a WHERE a.first_seen_at >= ?`
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
	err := s.b.Read(ctx, func(q Querier) error {
		out = nil
		rows, err := q.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			a, err := s.d.ScanArticle(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, a)
			ids = append(ids, a.ID)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		sections, err := LoadSections(ctx, q, ids)
		for i := range out {
			out[i].Sections = sections[out[i].ID]
		}
		return err
	})
	if err != nil {
		return nil, s.wrap("list articles", err)
	}
	return out, nil
}

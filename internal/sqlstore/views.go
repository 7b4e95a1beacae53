package sqlstore

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald/internal/herald"
)

// ViewSalt returns day's salt, storing candidate when there is none; a new
// day's salt forgets the visitors and salts of the days before the
// previous one (kept so that instances whose clocks differ a little agree).
func (s *Store) ViewSalt(ctx context.Context, day int64, candidate []byte) ([]byte, error) {
	var salt []byte
	err := s.b.Write(ctx, RetryUnique, func(q Querier) error {
		n, err := q.Exec(ctx, `INSERT INTO view_salts (day, salt) VALUES (?, ?) ON CONFLICT (day) DO NOTHING`, day, candidate)
		if err != nil {
			return err
		}
		if n > 0 {
			if _, err := q.Exec(ctx, `DELETE FROM view_visitors WHERE day < ?`, day-1); err != nil {
				return err
			}
			if _, err := q.Exec(ctx, `DELETE FROM view_salts WHERE day < ?`, day-1); err != nil {
				return err
			}
		}
		return q.QueryRow(ctx, `SELECT salt FROM view_salts WHERE day = ?`, day).Scan(&salt)
	})
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("view salt of day %d", day), err)
	}
	return salt, nil
}

// RecordViews counts the views whose visitor is new for its article and
// day; views of unknown articles insert nothing.
func (s *Store) RecordViews(ctx context.Context, views []herald.View) (int, error) {
	if len(views) == 0 {
		return 0, nil
	}
	var counted int
	err := s.b.Write(ctx, 0, func(q Querier) error {
		counted = 0
		for _, v := range views {
			n, err := q.Exec(ctx, `INSERT INTO view_visitors (article_id, day, visitor)
				SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM articles WHERE id = ?1)
				ON CONFLICT (article_id, day, visitor) DO NOTHING`, v.ArticleID, v.Day, v.Visitor)
			if err != nil {
				return err
			}
			if n == 0 {
				continue
			}
			if _, err := q.Exec(ctx, `INSERT INTO view_counts (article_id, day, views) VALUES (?, ?, 1)
				ON CONFLICT (article_id, day) DO UPDATE SET views = view_counts.views + 1`, v.ArticleID, v.Day); err != nil {
				return err
			}
			counted++
		}
		return nil
	})
	if err != nil {
		return 0, s.wrap("record views", err)
	}
	return counted, nil
}

// viewWindow returns the condition on view_counts v's days that q counts:
// every day since publication, or the window's days when trending.
func viewWindow(p *Params, q herald.ReportQuery) string {
	if !q.Trending {
		return ``
	}
	since := int64(-1 << 40)
	if !q.Since.IsZero() {
		since = herald.ViewDay(q.Since)
	}
	return ` AND v.day >= ` + p.Add(since) + ` AND v.day <= ` + p.Add(herald.ViewDay(q.Until))
}

// viewsRankSQL is RankSQL for the ranking by views: the articles published
// in the window (from q.Section, with a live post on q.Network when given)
// that were viewed, most viewed first.
func (d *Dialect) viewsRankSQL(q herald.ReportQuery, sourceID int64, limit any) (string, []any) {
	var p Params
	since := int64(-1 << 62)
	if !q.Since.IsZero() {
		since = q.Since.UnixMilli()
	}
	where := ` WHERE a.published_at >= ` + p.Add(since) + ` AND a.published_at <= ` + p.Add(q.Until.UnixMilli())
	if sourceID != 0 {
		where += ` AND EXISTS (SELECT 1 FROM article_sources x WHERE x.article_id = a.id AND x.source_id = ` + p.Add(sourceID) + `)`
	}
	if q.Network != "" {
		where += ` AND EXISTS (SELECT 1 FROM jobs j WHERE j.article_id = a.id AND j.state = 'sent'
			AND j.remote_gone = ` + d.False + ` AND j.deleted_at IS NULL AND j.network = ` + p.Add(string(q.Network)) + `)`
	}
	return `SELECT a.id, ` + d.Int(`sum(v.views)`) + ` AS m FROM view_counts v JOIN articles a ON a.id = v.article_id` +
		where + viewWindow(&p, q) + ` GROUP BY a.published_at, a.id
		ORDER BY m DESC, a.published_at DESC, a.id DESC LIMIT ` + d.Int(p.Add(limit)), p.Args
}

// fillViews sets the Views of rows (keyed by article ID) as q counts them.
func (s *Store) fillViews(ctx context.Context, tx Querier, q herald.ReportQuery, byID map[int64]*herald.ReportRow, ids []int64) error {
	var p Params
	cond := viewWindow(&p, q)
	list := `(`
	for i, id := range ids {
		if i > 0 {
			list += `, `
		}
		list += p.Add(id)
	}
	rows, err := tx.Query(ctx, `SELECT v.article_id, `+s.d.Int(`sum(v.views)`)+` FROM view_counts v
		WHERE v.article_id IN `+list+`)`+cond+` GROUP BY v.article_id`, p.Args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		if r := byID[id]; r != nil {
			r.Views = n
		}
	}
	return rows.Err()
}

package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// Params numbers a query's arguments as they are added.
type Params struct{ Args []any }

// Add appends v and returns its placeholder ("?3").
func (p *Params) Add(v any) string {
	p.Args = append(p.Args, v)
	return "?" + strconv.Itoa(len(p.Args))
}

// metrics are the ranking expressions over p's columns for q.By; they are
// also how a row's figures are summed.
var metrics = map[string]func(d *Dialect, p *Params, w herald.Weights) string{
	"shares":    func(*Dialect, *Params, herald.Weights) string { return `sum(retweets + quotes + shares)` },
	"reactions": func(*Dialect, *Params, herald.Weights) string { return `sum(likes + reactions)` },
	"comments":  func(*Dialect, *Params, herald.Weights) string { return `sum(replies + comments)` },
	"clicks":    func(*Dialect, *Params, herald.Weights) string { return `sum(clicks)` },
	"score": func(d *Dialect, p *Params, w herald.Weights) string {
		return `(` + d.Float(p.Add(w.Shares)) + `*` + d.Float(`sum(retweets + quotes + shares)`) + ` + ` +
			d.Float(p.Add(w.Comments)) + `*` + d.Float(`sum(replies + comments)`) + ` + ` +
			d.Float(p.Add(w.Reactions)) + `*` + d.Float(`sum(likes + reactions)`) + ` + ` +
			d.Float(p.Add(w.Clicks)) + `*` + d.Float(`sum(clicks)`) + `)`
	},
}

// Report ranks the articles published in [q.Since, q.Until] that have live
// posts (by "views": that were viewed; on q.Network, in q.Section) by q.By,
// over their posts' latest readings or, with q.Trending, over what each post
// gained between its first and last reading inside the window (and its
// short-link clicks and page views there). Ties go to the newer article.
// Every row carries its views (fillViews).
func (s *Store) Report(ctx context.Context, q herald.ReportQuery) ([]herald.ReportRow, error) {
	by := q.By
	if by == "" {
		by = "shares"
	}
	if _, ok := metrics[by]; !ok && by != "views" {
		return nil, fmt.Errorf("%s: report: unknown ranking %q", s.d.Name, q.By)
	}
	w := q.Weights
	if w == (herald.Weights{}) {
		w = herald.DefaultWeights
	}
	if q.Until.IsZero() {
		q.Until = time.Now()
	}
	var rows []herald.ReportRow
	err := s.b.Read(ctx, func(tx Querier) error {
		var sourceID int64
		if q.Section != "" {
			err := tx.QueryRow(ctx, `SELECT id FROM sources WHERE name = ?`, q.Section).Scan(&sourceID)
			if errors.Is(err, ErrNoRows) {
				return nil // no such section: nothing to rank
			}
			if err != nil {
				return err
			}
		}
		limit := s.d.NoLimit
		if q.Limit > 0 {
			limit = q.Limit
		}
		var query string
		var args []any
		if by == "views" {
			query, args = s.d.viewsRankSQL(q, sourceID, limit)
		} else {
			query, args = s.d.RankSQL(q, sourceID, by, w, limit)
		}
		ids, err := queryIDs(ctx, tx, query, args...)
		if err != nil || len(ids) == 0 {
			return err
		}
		var p2 Params
		cte := s.d.reportPosts(&p2, q, sourceID, ids)
		rows, err = s.reportRows(ctx, tx, cte, p2.Args, ids, w)
		if err != nil {
			return err
		}
		byID := make(map[int64]*herald.ReportRow, len(rows))
		for i := range rows {
			byID[rows[i].ArticleID] = &rows[i]
		}
		return s.fillViews(ctx, tx, q, byID, ids)
	})
	if err != nil {
		return nil, s.wrap("report", err)
	}
	return rows, nil
}

// RankSQL is the query of the IDs of the articles q ranks first by by (a
// key of metrics), at most limit, with its arguments. Grouping by
// (published_at, article_id) follows jobs_report's order.
func (d *Dialect) RankSQL(q herald.ReportQuery, sourceID int64, by string, w herald.Weights, limit any) (string, []any) {
	var p Params
	cte := d.reportPosts(&p, q, sourceID, nil)
	m := metrics[by](d, &p, w)
	return cte + ` SELECT article_id, ` + m + ` AS m FROM p
		GROUP BY published_at, article_id ORDER BY m DESC, published_at DESC, article_id DESC
		LIMIT ` + d.Int(p.Add(limit)), p.Args
}

// Trending is the part of Dialect.TrendingPosts's CTE its dialect fills in.
type Trending struct {
	// Since and Until are the window's placeholders, HourStart the
	// placeholder of the first hour of clicks counted.
	Since, Until, HourStart string
	// Filter is the WHERE clause over jobs j of the live posts to rank.
	Filter string
}

// reportPosts returns SQL for a CTE p(article_id, published_at, network,
// retweets, quotes, likes, replies, impressions, shares, reactions,
// comments, clicks): one row per live post of the report's articles, holding
// its totals or, when trending, what it gained inside the window; limited to
// articles ids when given.
func (d *Dialect) reportPosts(p *Params, q herald.ReportQuery, sourceID int64, ids []int64) string {
	since := int64(-1 << 62)
	if !q.Since.IsZero() {
		since = q.Since.UnixMilli()
	}
	until := q.Until.UnixMilli()
	sinceP, untilP := p.Add(since), p.Add(until)
	// The live-post terms match jobs_report's WHERE, so that index serves.
	filter := ` WHERE j.state = 'sent' AND j.remote_gone = ` + d.False + ` AND j.deleted_at IS NULL
		AND j.published_at >= ` + sinceP + ` AND j.published_at <= ` + untilP
	if q.Network != "" {
		filter += ` AND j.network = ` + p.Add(string(q.Network))
	}
	if sourceID != 0 {
		filter += ` AND EXISTS (SELECT 1 FROM article_sources x WHERE x.article_id = j.article_id AND x.source_id = ` +
			p.Add(sourceID) + d.Fence + `)`
	}
	if len(ids) > 0 {
		filter += ` AND j.article_id IN (`
		for i, id := range ids {
			if i > 0 {
				filter += `, `
			}
			filter += p.Add(id)
		}
		filter += `)`
	}
	if !q.Trending {
		return `WITH p AS (SELECT j.article_id, j.published_at, j.network, j.retweets, j.quotes,
			j.likes, j.replies, j.impressions, j.shares, j.reactions, j.comments, j.clicks
			FROM jobs j` + d.IndexedBy("jobs_report") + filter + `)`
	}
	return d.TrendingPosts(Trending{Since: sinceP, Until: untilP,
		HourStart: p.Add(FloorDiv(since, HourMS) * HourMS), Filter: filter})
}

func queryIDs(ctx context.Context, tx Querier, query string, args ...any) ([]int64, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return Collect(rows, func(r Row) (id int64, err error) {
		var m any
		return id, r.Scan(&id, &m)
	})
}

// reportRows fills the ranked articles' rows, in the order of ids, from
// their posts' values per network.
func (s *Store) reportRows(ctx context.Context, tx Querier, cte string, args []any, ids []int64, w herald.Weights) ([]herald.ReportRow, error) {
	byID := make(map[int64]*herald.ReportRow, len(ids))
	out := make([]herald.ReportRow, len(ids))
	for i, id := range ids {
		out[i].Rank, out[i].ArticleID = i+1, id
		byID[id] = &out[i]
	}
	sum := func(col string) string { return s.d.Int(`sum(` + col + `)`) }
	rows, err := tx.Query(ctx, cte+` SELECT article_id, network, `+sum("retweets")+`, `+sum("quotes")+`, `+
		sum("likes")+`, `+sum("replies")+`, `+sum("impressions")+`, `+sum("shares")+`, `+sum("reactions")+`, `+
		sum("comments")+`, `+sum("clicks")+` FROM p GROUP BY article_id, network`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, clicks int64
		var n herald.Network
		var e herald.Engagement
		if err := rows.Scan(&id, &n, &e.Retweets, &e.Quotes, &e.Likes, &e.Replies, &e.Impressions,
			&e.Shares, &e.Reactions, &e.Comments, &clicks); err != nil {
			rows.Close()
			return nil, err
		}
		if r := byID[id]; r != nil {
			r.Add(n, e, clicks)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var aargs []any
	arts, err := tx.Query(ctx, `SELECT id, title, url, section, published_at FROM articles WHERE id IN `+in(&aargs, ids), aargs...)
	if err != nil {
		return nil, err
	}
	defer arts.Close()
	for arts.Next() {
		var id int64
		var title, url, section string
		var pub time.Time
		if err := arts.Scan(&id, &title, &url, &section, TM(&pub)); err != nil {
			return nil, err
		}
		r := byID[id]
		r.Title, r.URL, r.Section, r.PublishedAt = title, url, section, pub
		r.Score = w.Score(*r)
	}
	return out, arts.Err()
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
)

// params numbers a query's arguments as they are added.
type params struct{ args []any }

// add appends v and returns its placeholder ("$3").
func (p *params) add(v any) string {
	p.args = append(p.args, v)
	return "$" + strconv.Itoa(len(p.args))
}

// metrics are the ranking expressions over p's columns for q.By.
var metrics = map[string]func(p *params, w herald.Weights) string{
	"shares":    func(*params, herald.Weights) string { return `sum(retweets + quotes + shares)` },
	"reactions": func(*params, herald.Weights) string { return `sum(likes + reactions)` },
	"comments":  func(*params, herald.Weights) string { return `sum(replies + comments)` },
	"clicks":    func(*params, herald.Weights) string { return `sum(clicks)` },
	"score": func(p *params, w herald.Weights) string {
		return p.add(w.Shares) + `::float8 * sum(retweets + quotes + shares)::float8 + ` +
			p.add(w.Comments) + `::float8 * sum(replies + comments)::float8 + ` +
			p.add(w.Reactions) + `::float8 * sum(likes + reactions)::float8 + ` +
			p.add(w.Clicks) + `::float8 * sum(clicks)::float8`
	},
}

// Report ranks the articles published in [q.Since, q.Until] that have live
// posts (on q.Network, in q.Section) by q.By, over their posts' latest
// readings or, with q.Trending, over what each post gained between its first
// and last reading inside the window (and its short-link clicks there,
// counted to the hour). Ties go to the newer article.
func (db *DB) Report(ctx context.Context, q herald.ReportQuery) ([]herald.ReportRow, error) {
	by := q.By
	if by == "" {
		by = "shares"
	}
	metric, ok := metrics[by]
	if !ok {
		return nil, fmt.Errorf("postgres: report: unknown ranking %q", q.By)
	}
	w := q.Weights
	if w == (herald.Weights{}) {
		w = herald.DefaultWeights
	}
	if q.Until.IsZero() {
		q.Until = time.Now()
	}
	var rows []herald.ReportRow
	err := db.read(ctx, func(tx pgx.Tx) error {
		var sourceID int64
		if q.Section != "" {
			err := tx.QueryRow(ctx, `SELECT id FROM sources WHERE name = $1`, q.Section).Scan(&sourceID)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil // no such section: nothing to rank
			}
			if err != nil {
				return err
			}
		}
		var p params
		cte := reportPosts(&p, q, sourceID, nil)
		m := metric(&p, w)
		var limit any // NULL: no limit
		if q.Limit > 0 {
			limit = q.Limit
		}
		ids, err := queryIDs(ctx, tx, cte+` SELECT article_id, `+m+` AS m FROM p
			GROUP BY published_at, article_id ORDER BY m DESC, published_at DESC, article_id DESC
			LIMIT `+p.add(limit)+`::bigint`, p.args...)
		if err != nil || len(ids) == 0 {
			return err
		}
		var p2 params
		cte = reportPosts(&p2, q, sourceID, ids)
		rows, err = reportRows(ctx, tx, cte, p2.args, ids, w)
		return err
	})
	if err != nil {
		return nil, wrap("report", err)
	}
	return rows, nil
}

// reportPosts returns SQL for a CTE p(article_id, published_at, network,
// retweets, quotes, likes, replies, impressions, shares, reactions,
// comments, clicks): one row per live post of the report's articles, holding
// its totals or, when trending, what it gained inside the window; limited to
// articles ids when given.
func reportPosts(p *params, q herald.ReportQuery, sourceID int64, ids []int64) string {
	since := int64(-1 << 62)
	if !q.Since.IsZero() {
		since = q.Since.UnixMilli()
	}
	until := q.Until.UnixMilli()
	// The live-post terms match jobs_report's WHERE, so the index serves.
	filter := ` WHERE j.state = 'sent' AND NOT j.remote_gone AND j.deleted_at IS NULL
		AND j.published_at >= ` + p.add(since) + ` AND j.published_at <= ` + p.add(until)
	if q.Network != "" {
		filter += ` AND j.network = ` + p.add(string(q.Network))
	}
	if sourceID != 0 {
		// OFFSET 0 keeps this a probe of article_sources per post of the
		// window, rather than a join with every article of the section.
		filter += ` AND EXISTS (SELECT 1 FROM article_sources x WHERE x.article_id = j.article_id AND x.source_id = ` +
			p.add(sourceID) + ` OFFSET 0)`
	}
	if len(ids) > 0 {
		filter += ` AND j.article_id = ANY(` + p.add(ids) + `)`
	}
	if !q.Trending {
		return `WITH p AS (SELECT j.article_id, j.published_at, j.network, j.retweets, j.quotes,
			j.likes, j.replies, j.impressions, j.shares, j.reactions, j.comments, j.clicks FROM jobs j` + filter + `)`
	}
	// Each post's first and last reading inside the window.
	s, u := p.add(since), p.add(until)
	return `WITH p AS (
		SELECT j.article_id, j.published_at, j.network,
			coalesce(l.retweets - f.retweets, 0) AS retweets, coalesce(l.quotes - f.quotes, 0) AS quotes,
			coalesce(l.likes - f.likes, 0) AS likes, coalesce(l.replies - f.replies, 0) AS replies,
			coalesce(l.impressions - f.impressions, 0) AS impressions, coalesce(l.shares - f.shares, 0) AS shares,
			coalesce(l.reactions - f.reactions, 0) AS reactions, coalesce(l.comments - f.comments, 0) AS comments,
			(SELECT coalesce(sum(n), 0)::bigint FROM click_counts c WHERE c.job_id = j.id
				AND c.hour >= ` + p.add(floorDiv(since, hourMS)*hourMS) + ` AND c.hour < ` + u + `) AS clicks
		FROM jobs j
		LEFT JOIN LATERAL (SELECT * FROM snapshots WHERE job_id = j.id AND at >= ` + s + ` AND at <= ` + u + `
			ORDER BY at LIMIT 1) f ON true
		LEFT JOIN LATERAL (SELECT * FROM snapshots WHERE job_id = j.id AND at >= ` + s + ` AND at <= ` + u + `
			ORDER BY at DESC LIMIT 1) l ON true` + filter + `)`
}

func queryIDs(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		var m any
		if err := rows.Scan(&id, &m); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// reportRows fills the ranked articles' rows, in the order of ids, from
// their posts' values per network.
func reportRows(ctx context.Context, tx pgx.Tx, cte string, args []any, ids []int64, w herald.Weights) ([]herald.ReportRow, error) {
	byID := make(map[int64]*herald.ReportRow, len(ids))
	out := make([]herald.ReportRow, len(ids))
	for i, id := range ids {
		out[i].Rank, out[i].ArticleID = i+1, id
		byID[id] = &out[i]
	}
	rows, err := tx.Query(ctx, cte+` SELECT article_id, network, sum(retweets)::bigint, sum(quotes)::bigint,
		sum(likes)::bigint, sum(replies)::bigint, sum(impressions)::bigint, sum(shares)::bigint,
		sum(reactions)::bigint, sum(comments)::bigint, sum(clicks)::bigint
		FROM p GROUP BY article_id, network`, args...)
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
	arts, err := tx.Query(ctx, `SELECT id, title, url, section, published_at FROM articles WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer arts.Close()
	for arts.Next() {
		var id int64
		var title, url, section string
		var pub time.Time
		if err := arts.Scan(&id, &title, &url, &section, tm(&pub)); err != nil {
			return nil, err
		}
		r := byID[id]
		r.Title, r.URL, r.Section, r.PublishedAt = title, url, section, pub
		r.Score = w.Score(*r)
	}
	return out, arts.Err()
}

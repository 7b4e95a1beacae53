package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// postValues is SQL for a CTE p(article_id, published_at, network, retweets,
// quotes, likes, replies, impressions, shares, reactions, comments, clicks):
// one row per live post of the report's articles, holding its totals or,
// when trending, what it gained inside the window.
type postValues struct {
	sql  string
	args []any
}

// metric is the ranking expression over p's columns for q.By; it is also
// how a row's figures are summed.
var metrics = map[string]string{
	"shares":    `sum(retweets + quotes + shares)`,
	"reactions": `sum(likes + reactions)`,
	"comments":  `sum(replies + comments)`,
	"clicks":    `sum(clicks)`,
	"score": `(?*sum(retweets + quotes + shares) + ?*sum(replies + comments) + ?*sum(likes + reactions) +
		?*sum(clicks))`,
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
		return nil, fmt.Errorf("sqlite: report: unknown ranking %q", q.By)
	}
	w := q.Weights
	if w == (herald.Weights{}) {
		w = herald.DefaultWeights
	}
	if q.Until.IsZero() {
		q.Until = time.Now()
	}
	var rows []herald.ReportRow
	err := db.read(ctx, func(tx *txn) error {
		var sourceID int64
		if q.Section != "" {
			err := tx.QueryRowContext(ctx, `SELECT id FROM sources WHERE name = ?`, q.Section).Scan(&sourceID)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // no such section: nothing to rank
			}
			if err != nil {
				return err
			}
		}
		p := reportPosts(q, sourceID, nil)
		var args []any
		args = append(args, p.args...)
		if by == "score" {
			args = append(args, w.Shares, w.Comments, w.Reactions, w.Clicks)
		}
		limit := q.Limit
		if limit <= 0 {
			limit = -1
		}
		// Grouping by (published_at, article_id) follows jobs_report's order.
		ids, err := queryIDs(ctx, tx, p.sql+` SELECT article_id, `+metric+` AS m FROM p
			GROUP BY published_at, article_id ORDER BY m DESC, published_at DESC, article_id DESC LIMIT ?`,
			append(args, limit)...)
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err = reportRows(ctx, tx, reportPosts(q, sourceID, ids), ids, w)
		return err
	})
	if err != nil {
		return nil, wrap("report", err)
	}
	return rows, nil
}

// reportPosts builds the p CTE for q, limited to articles ids when given.
func reportPosts(q herald.ReportQuery, sourceID int64, ids []int64) postValues {
	since := int64(-1 << 62)
	if !q.Since.IsZero() {
		since = q.Since.UnixMilli()
	}
	until := q.Until.UnixMilli()
	// The three live-post terms match jobs_report's WHERE, so that index can
	// serve; without statistics the planner would rather take jobs_state.
	filter := ` WHERE j.state = 'sent' AND j.remote_gone = 0 AND j.deleted_at IS NULL
		AND j.published_at >= ? AND j.published_at <= ?`
	args := []any{since, until}
	if q.Network != "" {
		filter += ` AND j.network = ?`
		args = append(args, string(q.Network))
	}
	if sourceID != 0 {
		filter += ` AND EXISTS (SELECT 1 FROM article_sources x WHERE x.article_id = j.article_id AND x.source_id = ?)`
		args = append(args, sourceID)
	}
	if len(ids) > 0 {
		filter += ` AND j.article_id IN (` + placeholders(len(ids)) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	if !q.Trending {
		return postValues{sql: `WITH p AS (SELECT j.article_id, j.published_at, j.network, j.retweets, j.quotes,
			j.likes, j.replies, j.impressions, j.shares, j.reactions, j.comments, j.clicks
			FROM jobs j INDEXED BY jobs_report` + filter + `)`,
			args: args}
	}
	win := []any{since, until}
	sqlText := `WITH w AS (
		SELECT j.id, j.article_id, j.published_at, j.network,
			(SELECT min(at) FROM snapshots WHERE job_id = j.id AND at >= ? AND at <= ?) AS f,
			(SELECT max(at) FROM snapshots WHERE job_id = j.id AND at >= ? AND at <= ?) AS l
		FROM jobs j INDEXED BY jobs_report` + filter + `),
	p AS (
		SELECT w.article_id, w.published_at, w.network,
			coalesce(l.retweets - f.retweets, 0) AS retweets, coalesce(l.quotes - f.quotes, 0) AS quotes,
			coalesce(l.likes - f.likes, 0) AS likes, coalesce(l.replies - f.replies, 0) AS replies,
			coalesce(l.impressions - f.impressions, 0) AS impressions, coalesce(l.shares - f.shares, 0) AS shares,
			coalesce(l.reactions - f.reactions, 0) AS reactions, coalesce(l.comments - f.comments, 0) AS comments,
			(SELECT coalesce(sum(n), 0) FROM click_counts c WHERE c.job_id = w.id AND c.hour >= ? AND c.hour < ?) AS clicks
		FROM w LEFT JOIN snapshots f ON f.job_id = w.id AND f.at = w.f
		LEFT JOIN snapshots l ON l.job_id = w.id AND l.at = w.l)`
	all := append(append(append([]any{}, win...), win...), args...)
	all = append(all, floorDiv(since, hourMS)*hourMS, until)
	return postValues{sql: sqlText, args: all}
}

func queryIDs(ctx context.Context, tx *txn, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
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
func reportRows(ctx context.Context, tx *txn, p postValues, ids []int64, w herald.Weights) ([]herald.ReportRow, error) {
	byID := make(map[int64]*herald.ReportRow, len(ids))
	out := make([]herald.ReportRow, len(ids))
	for i, id := range ids {
		out[i].Rank, out[i].ArticleID = i+1, id
		byID[id] = &out[i]
	}
	rows, err := tx.QueryContext(ctx, p.sql+` SELECT article_id, network, sum(retweets), sum(quotes), sum(likes),
		sum(replies), sum(impressions), sum(shares), sum(reactions), sum(comments), sum(clicks)
		FROM p GROUP BY article_id, network`, p.args...)
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
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	arts, err := tx.QueryContext(ctx, `SELECT id, title, url, section, published_at FROM articles
		WHERE id IN (`+placeholders(len(ids))+`)`, args...)
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

package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// QueryPosts runs a query of posts to collect (job id, article id, account,
// remote id, sent at, last collected at) and scans them.
func QueryPosts(ctx context.Context, q Querier, query string, args ...any) ([]herald.Post, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return Collect(rows, func(r Row) (herald.Post, error) {
		var p herald.Post
		err := r.Scan(&p.JobID, &p.ArticleID, &p.Account, &p.RemoteID, TM(&p.SentAt), TM(&p.LastCollectedAt))
		return p, err
	})
}

// SaveSnapshots stores engagement readings in one transaction and makes each
// its post's latest, unless a later reading is already stored.
func (s *Store) SaveSnapshots(ctx context.Context, snaps []herald.Snapshot) error {
	if len(snaps) == 0 {
		return nil
	}
	stmts := make([]Stmt, 0, 2*len(snaps))
	for _, sn := range snaps {
		e := sn.Engagement
		at := sn.At
		if at.IsZero() {
			at = time.Now()
		}
		args := []any{sn.JobID, at.UnixMilli(), e.Retweets, e.Quotes, e.Likes, e.Replies, e.Impressions,
			e.Bookmarks, e.Shares, e.Reactions, e.Comments}
		stmts = append(stmts, Stmt{SQL: `INSERT INTO snapshots (job_id, at, retweets, quotes, likes, replies,
			impressions, bookmarks, shares, reactions, comments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (job_id, at) DO UPDATE SET retweets = excluded.retweets, quotes = excluded.quotes,
			likes = excluded.likes, replies = excluded.replies, impressions = excluded.impressions,
			bookmarks = excluded.bookmarks, shares = excluded.shares, reactions = excluded.reactions,
			comments = excluded.comments`, Args: args},
			Stmt{SQL: `UPDATE jobs SET retweets = ?3, quotes = ?4, likes = ?5, replies = ?6, impressions = ?7,
			bookmarks = ?8, shares = ?9, reactions = ?10, comments = ?11, last_collected_at = ?2
			WHERE id = ?1 AND (last_collected_at IS NULL OR last_collected_at <= ?2)`, Args: args})
	}
	err := s.b.Write(ctx, 0, func(q Querier) error {
		if i, err := q.ExecAll(ctx, stmts); err != nil {
			return fmt.Errorf("job %d: %w", snaps[i/2].JobID, err)
		}
		return nil
	})
	return s.wrap("save snapshots", err)
}

// MarkRemoteGone records that the network no longer has a post.
func (s *Store) MarkRemoteGone(ctx context.Context, jobID int64) error {
	return s.updateOne(ctx, fmt.Sprintf("mark job %d gone", jobID),
		`UPDATE jobs SET remote_gone = `+s.d.True+`, updated_at = ? WHERE id = ?`, time.Now().UnixMilli(), jobID)
}

// RecordClick counts a click on a short link and returns its job with its
// article.
func (s *Store) RecordClick(ctx context.Context, code string, at time.Time) (herald.Job, error) {
	var j herald.Job
	err := s.b.Write(ctx, 0, func(q Querier) error {
		var id int64
		if err := q.QueryRow(ctx, `UPDATE jobs SET clicks = clicks + 1 WHERE short_code = ? RETURNING id`,
			code).Scan(&id); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `INSERT INTO click_counts (job_id, hour, n) VALUES (?, ?, 1)
			ON CONFLICT (job_id, hour) DO UPDATE SET n = click_counts.n + 1`,
			id, FloorDiv(at.UnixMilli(), HourMS)*HourMS); err != nil {
			return err
		}
		var err error
		j, err = s.getJob(ctx, q, id)
		return err
	})
	return j, s.wrap("record click", err)
}

// Series returns an article's summed engagement at each reading of its live
// posts since since: every post counts with its latest reading at that time.
func (s *Store) Series(ctx context.Context, articleID int64, since time.Time) ([]herald.SeriesPoint, error) {
	type reading struct {
		job int64
		at  int64
		e   herald.Engagement
	}
	var rs []reading
	// Each live post's readings since since, plus its last one before, so
	// that the first points already count every post.
	rows, err := s.b.Reader().Query(ctx, `SELECT s.job_id, s.at, s.retweets, s.quotes, s.likes, s.replies,
		s.shares, s.reactions, s.comments
		FROM jobs j JOIN snapshots s ON s.job_id = j.id
		WHERE j.article_id = ?1 AND j.state = 'sent' AND j.remote_gone = `+s.d.False+` AND j.deleted_at IS NULL
		AND s.at >= coalesce((SELECT max(at) FROM snapshots b WHERE b.job_id = j.id AND b.at < ?2), ?2)
		ORDER BY s.at, s.job_id`, articleID, since.UnixMilli())
	if err == nil {
		for rows.Next() {
			var r reading
			if err = rows.Scan(&r.job, &r.at, &r.e.Retweets, &r.e.Quotes, &r.e.Likes, &r.e.Replies,
				&r.e.Shares, &r.e.Reactions, &r.e.Comments); err != nil {
				break
			}
			rs = append(rs, r)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("series of article %d", articleID), err)
	}
	sort.SliceStable(rs, func(i, k int) bool { return rs[i].at < rs[k].at })
	latest := make(map[int64]herald.Engagement)
	var out []herald.SeriesPoint
	for i, r := range rs {
		latest[r.job] = r.e
		if i+1 < len(rs) && rs[i+1].at == r.at {
			continue // one point per time
		}
		at := max(r.at, since.UnixMilli())
		p := herald.SeriesPoint{At: FromMS(at)}
		for _, e := range latest {
			p.Shares += e.Retweets + e.Quotes + e.Shares
			p.Reactions += e.Likes + e.Reactions
			p.Comments += e.Replies + e.Comments
		}
		if n := len(out); n > 0 && out[n-1].At.Equal(p.At) {
			out[n-1] = p // baselines before since fold into the first point
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

package postgres

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
)

// PostsToCollect returns sent posts that are neither deleted nor gone, sent
// after f.SentAfter, of f.Accounts, with IDs above f.AfterJobID, by job ID.
func (db *DB) PostsToCollect(ctx context.Context, f herald.PostFilter) ([]herald.Post, error) {
	where := []string{`state = 'sent'`, `NOT remote_gone`, `deleted_at IS NULL`, `remote_id <> ''`}
	var p params
	after := p.add(f.AfterJobID)
	accounts := `ARRAY(SELECT id FROM accounts)`
	if len(f.Accounts) > 0 {
		accounts = p.add(f.Accounts) + `::text[]`
		where = append(where, `account_id = ANY(`+accounts+`)`)
	}
	if f.SentAfter.IsZero() {
		where = append(where, `id > `+after)
	} else {
		since := p.add(f.SentAfter.UnixMilli())
		where = append(where, `sent_at > `+since)
		if f.AfterJobID == 0 {
			// The first page starts at the first post sent after since
			// (found in jobs_sent), so that jobs_live is walked from there
			// rather than from the oldest post: each page then reads
			// about as many entries as it returns. (min(id + 0), not
			// min(id), which the planner would answer by walking the
			// primary key from the oldest job.)
			after = `greatest(` + after + `, (SELECT min(id + 0) - 1 FROM jobs WHERE account_id = ANY(` + accounts +
				`) AND state = 'sent' AND sent_at > ` + since + `))`
		}
		where = append(where, `id > `+after)
	}
	query := `SELECT id, article_id, account_id, remote_id, sent_at, last_collected_at FROM jobs WHERE ` +
		strings.Join(where, ` AND `) + ` ORDER BY id`
	if f.Limit > 0 {
		query += ` LIMIT ` + p.add(f.Limit)
	}
	rows, err := db.pool.Query(ctx, query, p.args...)
	if err != nil {
		return nil, wrap("posts to collect", err)
	}
	defer rows.Close()
	var out []herald.Post
	for rows.Next() {
		var p herald.Post
		if err := rows.Scan(&p.JobID, &p.ArticleID, &p.Account, &p.RemoteID, tm(&p.SentAt), tm(&p.LastCollectedAt)); err != nil {
			return nil, wrap("posts to collect", err)
		}
		out = append(out, p)
	}
	return out, wrap("posts to collect", rows.Err())
}

// SaveSnapshots stores engagement readings in one transaction and makes each
// its post's latest, unless a later reading is already stored.
func (db *DB) SaveSnapshots(ctx context.Context, snaps []herald.Snapshot) error {
	if len(snaps) == 0 {
		return nil
	}
	err := db.write(ctx, 0, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, s := range snaps {
			e := s.Engagement
			at := s.At
			if at.IsZero() {
				at = time.Now()
			}
			b.Queue(`INSERT INTO snapshots (job_id, at, retweets, quotes, likes, replies,
				impressions, bookmarks, shares, reactions, comments) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				ON CONFLICT (job_id, at) DO UPDATE SET retweets = excluded.retweets, quotes = excluded.quotes,
				likes = excluded.likes, replies = excluded.replies, impressions = excluded.impressions,
				bookmarks = excluded.bookmarks, shares = excluded.shares, reactions = excluded.reactions,
				comments = excluded.comments`, s.JobID, at.UnixMilli(), e.Retweets, e.Quotes, e.Likes, e.Replies,
				e.Impressions, e.Bookmarks, e.Shares, e.Reactions, e.Comments)
			b.Queue(`UPDATE jobs SET retweets = $3, quotes = $4, likes = $5, replies = $6,
				impressions = $7, bookmarks = $8, shares = $9, reactions = $10, comments = $11, last_collected_at = $2
				WHERE id = $1 AND (last_collected_at IS NULL OR last_collected_at <= $2)`,
				s.JobID, at.UnixMilli(), e.Retweets, e.Quotes, e.Likes, e.Replies,
				e.Impressions, e.Bookmarks, e.Shares, e.Reactions, e.Comments)
		}
		br := tx.SendBatch(ctx, b)
		for i := range b.Len() {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return fmt.Errorf("job %d: %w", snaps[i/2].JobID, err)
			}
		}
		return br.Close()
	})
	return wrap("save snapshots", err)
}

// MarkRemoteGone records that the network no longer has a post.
func (db *DB) MarkRemoteGone(ctx context.Context, jobID int64) error {
	tag, err := db.pool.Exec(ctx, `UPDATE jobs SET remote_gone = true, updated_at = $1 WHERE id = $2`,
		time.Now().UnixMilli(), jobID)
	if err == nil && tag.RowsAffected() == 0 {
		err = herald.ErrNotFound
	}
	return wrap(fmt.Sprintf("mark job %d gone", jobID), err)
}

const hourMS = int64(time.Hour / time.Millisecond)

// RecordClick counts a click on a short link and returns its job with its
// article.
func (db *DB) RecordClick(ctx context.Context, code string, at time.Time) (herald.Job, error) {
	var j herald.Job
	err := db.write(ctx, 0, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `UPDATE jobs SET clicks = clicks + 1 WHERE short_code = $1 RETURNING id`,
			code).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO click_counts (job_id, hour, n) VALUES ($1, $2, 1)
			ON CONFLICT (job_id, hour) DO UPDATE SET n = click_counts.n + 1`, id, floorDiv(at.UnixMilli(), hourMS)*hourMS); err != nil {
			return err
		}
		var err error
		j, err = getJob(ctx, tx, id)
		return err
	})
	return j, wrap("record click", err)
}

// Series returns an article's summed engagement at each reading of its live
// posts since since: every post counts with its latest reading at that time.
func (db *DB) Series(ctx context.Context, articleID int64, since time.Time) ([]herald.SeriesPoint, error) {
	type reading struct {
		job int64
		at  int64
		e   herald.Engagement
	}
	var rs []reading
	// Each live post's readings since since, plus its last one before, so
	// that the first points already count every post.
	rows, err := db.pool.Query(ctx, `SELECT s.job_id, s.at, s.retweets, s.quotes, s.likes, s.replies,
		s.shares, s.reactions, s.comments
		FROM jobs j JOIN snapshots s ON s.job_id = j.id
		WHERE j.article_id = $1 AND j.state = 'sent' AND NOT j.remote_gone AND j.deleted_at IS NULL
		AND s.at >= coalesce((SELECT max(at) FROM snapshots b WHERE b.job_id = j.id AND b.at < $2), $2)
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
		return nil, wrap(fmt.Sprintf("series of article %d", articleID), err)
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
		p := herald.SeriesPoint{At: fromMS(at)}
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

// FindJobByShortCode returns the job (with its article) of a short code
// without counting a click: link-preview bots are redirected from it.
func (db *DB) FindJobByShortCode(ctx context.Context, code string) (herald.Job, error) {
	var j herald.Job
	err := db.read(ctx, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM jobs WHERE short_code = $1`, code).Scan(&id); err != nil {
			return err
		}
		var err error
		j, err = getJob(ctx, tx, id)
		return err
	})
	return j, wrap("find short code", err)
}

package postgres

import (
	"context"
	"strings"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

// PostsToCollect returns sent posts that are neither deleted nor gone, sent
// after f.SentAfter, of f.Accounts, with IDs above f.AfterJobID, by job ID.
func (db *DB) PostsToCollect(ctx context.Context, f herald.PostFilter) ([]herald.Post, error) {
	where := []string{`state = 'sent'`, `NOT remote_gone`, `deleted_at IS NULL`, `remote_id <> ''`}
	var p sqlstore.Params
	after := p.Add(f.AfterJobID)
	accounts := `ARRAY(SELECT id FROM accounts)`
	if len(f.Accounts) > 0 {
		accounts = p.Add(f.Accounts) + `::text[]`
		where = append(where, `account_id = ANY(`+accounts+`)`)
	}
	if f.SentAfter.IsZero() {
		where = append(where, `id > `+after)
	} else {
		since := p.Add(f.SentAfter.UnixMilli())
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
		query += ` LIMIT ` + p.Add(f.Limit)
	}
	out, err := sqlstore.QueryPosts(ctx, pq(db.pool), query, p.Args...)
	return out, wrap("posts to collect", err)
}

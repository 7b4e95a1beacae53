package sqlite

import (
	"context"
	"strings"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

// PostsToCollect returns sent posts that are neither deleted nor gone, sent
// after f.SentAfter, of f.Accounts, with IDs above f.AfterJobID, by job ID.
func (db *DB) PostsToCollect(ctx context.Context, f herald.PostFilter) ([]herald.Post, error) {
	query, args := postsQuery(f)
	out, err := sqlstore.QueryPosts(ctx, sq(db.r), query, args...)
	return out, wrap("posts to collect", err)
}

// postsQuery walks jobs_live in job ID order from the first post sent after
// f.SentAfter (found in jobs_sent), so that each page reads about as many
// entries as it returns.
func postsQuery(f herald.PostFilter) (string, []any) {
	after := int64(-1 << 62)
	if !f.SentAfter.IsZero() {
		after = f.SentAfter.UnixMilli()
	}
	where := []string{`state = 'sent'`, `remote_gone = 0`, `deleted_at IS NULL`, `remote_id <> ''`, `sent_at > ?2`,
		`id > max(?1, coalesce((SELECT min(id) - 1 FROM jobs INDEXED BY jobs_sent
			WHERE account_id IN (SELECT id FROM accounts) AND state = 'sent' AND sent_at > ?2), ?1))`}
	args := []any{f.AfterJobID, after}
	if len(f.Accounts) > 0 {
		where = append(where, `account_id IN (`+placeholders(len(f.Accounts))+`)`)
		for _, a := range f.Accounts {
			args = append(args, a)
		}
	}
	query := `SELECT id, article_id, account_id, remote_id, sent_at, last_collected_at FROM jobs INDEXED BY jobs_live WHERE ` +
		strings.Join(where, ` AND `) + ` ORDER BY id`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return query, args
}

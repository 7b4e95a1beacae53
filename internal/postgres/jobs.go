package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
)

const jobCols = `j.id, j.article_id, j.account_id, j.seq, j.kind, j.state, j.priority, j.template, j.text,
	j.scheduled_at, j.next_attempt_at, j.attempts, j.attempt_started_at, j.last_error, j.error_kind,
	j.skip_reason, j.sent_text, j.remote_id, j.permalink, j.sent_at, j.deleted_at, j.remote_gone,
	j.short_code, j.created_at, j.updated_at, j.claimed_by, j.lease_until, j.network,
	j.retweets, j.quotes, j.likes, j.replies, j.impressions, j.bookmarks, j.shares, j.reactions,
	j.comments, j.clicks`

func scanJob(row pgx.Row) (herald.Job, error) {
	var j herald.Job
	e := &j.Latest
	err := row.Scan(&j.ID, &j.ArticleID, &j.Account, &j.Seq, &j.Kind, &j.State, &j.Priority, &j.Template,
		&j.Text, tm(&j.ScheduledAt), tm(&j.NextAttemptAt), &j.Attempts, tm(&j.AttemptStartedAt), &j.LastError,
		&j.ErrorKind, &j.SkipReason, &j.SentText, &j.RemoteID, &j.Permalink, tm(&j.SentAt), tm(&j.DeletedAt),
		&j.RemoteGone, &j.ShortCode, tm(&j.CreatedAt), tm(&j.UpdatedAt), &j.ClaimedBy, tm(&j.LeaseUntil),
		&j.Network, &e.Retweets, &e.Quotes, &e.Likes, &e.Replies, &e.Impressions, &e.Bookmarks, &e.Shares,
		&e.Reactions, &e.Comments, &j.Clicks)
	return j, err
}

// jobRow is a job to insert.
type jobRow struct {
	articleID   int64
	account     string
	seq         int
	kind        string
	priority    herald.Priority
	template    string
	text        string
	publishedAt time.Time // the article's
	due         time.Time
	now         time.Time
	// onlyFirst inserts nothing (errJobExists) when the article already
	// has a job for the account.
	onlyFirst bool
}

// errJobExists: insertJob with onlyFirst found a job of the article for the account.
var errJobExists = errors.New("the article has a job for the account")

// ensureAccount creates the row of an account never synced, for its jobs.
func ensureAccount(ctx context.Context, tx pgx.Tx, id string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO accounts (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
		id, now.UnixMilli())
	return err
}

// insertJob inserts a pending job with a fresh short code; its account's row
// must exist (ensureAccount).
func insertJob(ctx context.Context, tx pgx.Tx, j jobRow) (int64, error) {
	for try := 0; ; try++ {
		var id int64
		// A clash of random codes would abort the transaction: skip the row
		// instead and draw again.
		err := tx.QueryRow(ctx, `INSERT INTO jobs (article_id, account_id, network, seq, kind, state,
			priority, published_at, template, text, scheduled_at, next_attempt_at, short_code, created_at, updated_at)
			SELECT $1, $2, (SELECT network FROM accounts WHERE id = $2), $3, $4, 'pending', $5, $6, $7, $8, $9, $9, $10, $11, $11
			WHERE NOT $12 OR NOT EXISTS (SELECT 1 FROM jobs WHERE article_id = $1 AND account_id = $2)
			ON CONFLICT (short_code) DO NOTHING RETURNING id`,
			j.articleID, j.account, j.seq, j.kind, j.priority, j.publishedAt.UnixMilli(), j.template, j.text,
			j.due.UnixMilli(), newShortCode(), j.now.UnixMilli(), j.onlyFirst).Scan(&id)
		if !errors.Is(err, pgx.ErrNoRows) {
			return id, err
		}
		if j.onlyFirst {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM jobs WHERE article_id = $1 AND account_id = $2)`,
				j.articleID, j.account).Scan(&exists); err != nil {
				return 0, err
			}
			if exists {
				return 0, errJobExists
			}
		}
		if try == 3 {
			return 0, fmt.Errorf("%w: no free short code", herald.ErrConflict)
		}
	}
}

// newShortCode returns 8 random URL-safe characters (48 bits).
func newShortCode() string {
	var b [6]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateJob creates a repost or ad-hoc job with the next Seq (≥ 1) for its
// article and account. The article's row is locked meanwhile, so instances
// creating jobs for one article at once take turns.
func (db *DB) CreateJob(ctx context.Context, nj herald.NewJob, now time.Time) (herald.Job, error) {
	if nj.Account == "" {
		return herald.Job{}, fmt.Errorf("postgres: create job: no account")
	}
	kind := nj.Kind
	if kind == "" {
		kind = herald.KindRepost
	}
	due := nj.DueAt
	if due.IsZero() {
		due = now
	}
	var j herald.Job
	err := db.write(ctx, retryUnique, func(tx pgx.Tx) error {
		var pub int64
		if err := tx.QueryRow(ctx, `SELECT published_at FROM articles WHERE id = $1 FOR NO KEY UPDATE`,
			nj.ArticleID).Scan(&pub); err != nil {
			return err
		}
		var seq int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) + 1 FROM jobs WHERE article_id = $1 AND account_id = $2`,
			nj.ArticleID, nj.Account).Scan(&seq); err != nil {
			return err
		}
		if err := ensureAccount(ctx, tx, nj.Account, now); err != nil {
			return err
		}
		id, err := insertJob(ctx, tx, jobRow{
			articleID: nj.ArticleID, account: nj.Account, seq: seq, kind: kind, priority: nj.Priority,
			template: nj.Template, text: nj.Text, publishedAt: fromMS(pub), due: due, now: now,
		})
		if err != nil {
			return err
		}
		if j, err = getJob(ctx, tx, id); err != nil {
			return err
		}
		return notifyJobs(ctx, tx)
	})
	return j, wrap("create job", err)
}

// getJob returns a job with its article.
func getJob(ctx context.Context, q queryer, id int64) (herald.Job, error) {
	j, err := scanJob(q.QueryRow(ctx, `SELECT `+jobCols+` FROM jobs j WHERE j.id = $1`, id))
	if err != nil {
		return j, err
	}
	js := []herald.Job{j}
	err = attachArticles(ctx, q, js)
	return js[0], err
}

// attachArticles fills each job's Article.
func attachArticles(ctx context.Context, q queryer, js []herald.Job) error {
	if len(js) == 0 {
		return nil
	}
	byID := make(map[int64]*herald.Article)
	var ids []int64
	for _, j := range js {
		if _, ok := byID[j.ArticleID]; !ok {
			byID[j.ArticleID] = nil
			ids = append(ids, j.ArticleID)
		}
	}
	rows, err := q.Query(ctx, `SELECT `+articleCols+`, (SELECT array_agg(s.name ORDER BY x.first_seen_at, s.id)
		FROM article_sources x JOIN sources s ON s.id = x.source_id WHERE x.article_id = a.id)
		FROM articles a WHERE a.id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sections []string
		a, err := scanArticle(rows, &sections)
		if err != nil {
			return err
		}
		a.Sections = sections
		byID[a.ID] = &a
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range js {
		if a := byID[js[i].ArticleID]; a != nil {
			c := *a
			js[i].Article = &c
		}
	}
	return nil
}

// GetJob returns a job with its article.
func (db *DB) GetJob(ctx context.Context, id int64) (herald.Job, error) {
	var j herald.Job
	err := db.read(ctx, func(tx pgx.Tx) error {
		var err error
		j, err = getJob(ctx, tx, id)
		return err
	})
	return j, wrap(fmt.Sprintf("get job %d", id), err)
}

// FindJobByRemote returns the sent job with this remote ID or permalink.
func (db *DB) FindJobByRemote(ctx context.Context, remote string) (herald.Job, error) {
	if remote == "" {
		return herald.Job{}, wrap("find job by remote", herald.ErrNotFound)
	}
	jobs, err := db.listJobs(ctx, `SELECT `+jobCols+` FROM jobs j WHERE j.state = 'sent' AND j.id IN (
		SELECT id FROM jobs WHERE remote_id = $1 UNION SELECT id FROM jobs WHERE permalink = $1)
		ORDER BY j.id DESC LIMIT 1`, remote)
	if err == nil && len(jobs) == 0 {
		err = herald.ErrNotFound
	}
	if err != nil {
		return herald.Job{}, wrap("find job by remote", err)
	}
	return jobs[0], nil
}

// ListJobs returns jobs matching f, newest first, with their articles and
// latest engagement.
func (db *DB) ListJobs(ctx context.Context, f herald.JobFilter) ([]herald.Job, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, s := range f.States {
			states[i] = string(s)
		}
		where = append(where, `j.state = ANY(`+arg(states)+`)`)
	}
	if f.Account != "" {
		where = append(where, `j.account_id = `+arg(f.Account))
	}
	if f.ArticleID != 0 {
		where = append(where, `j.article_id = `+arg(f.ArticleID))
	}
	query := `SELECT ` + jobCols + ` FROM jobs j`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY j.id DESC`
	if f.Limit > 0 {
		query += ` LIMIT ` + arg(f.Limit)
	}
	jobs, err := db.listJobs(ctx, query, args...)
	return jobs, wrap("list jobs", err)
}

func (db *DB) listJobs(ctx context.Context, query string, args ...any) ([]herald.Job, error) {
	var out []herald.Job
	err := db.read(ctx, func(tx pgx.Tx) error {
		var err error
		if out, err = queryJobs(ctx, tx, query, args...); err != nil {
			return err
		}
		return attachArticles(ctx, tx, out)
	})
	return out, err
}

func queryJobs(ctx context.Context, q queryer, query string, args ...any) ([]herald.Job, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []herald.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// CountJobs counts jobs by state (account "" for all).
func (db *DB) CountJobs(ctx context.Context, account string) (herald.JobCounts, error) {
	query, args := `SELECT state, count(*) FROM jobs GROUP BY state`, []any(nil)
	if account != "" {
		query, args = `SELECT state, count(*) FROM jobs WHERE account_id = $1 GROUP BY state`, []any{account}
	}
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, wrap("count jobs", err)
	}
	defer rows.Close()
	out := herald.JobCounts{}
	for rows.Next() {
		var s herald.JobState
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, wrap("count jobs", err)
		}
		out[s] = n
	}
	return out, wrap("count jobs", rows.Err())
}

// NextDue returns the earliest NextAttemptAt of pending jobs (zero if none).
func (db *DB) NextDue(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := db.pool.QueryRow(ctx, `SELECT min(next_attempt_at) FROM jobs WHERE state = 'pending'`).Scan(tm(&t))
	return t, wrap("next due", err)
}

// RetryJob puts a failed or skipped job back to pending, due now, with its
// attempt count reset. An unknown outcome recorded on it is kept, so the
// next claim still reconciles before sending.
func (db *DB) RetryJob(ctx context.Context, id int64, now time.Time) error {
	err := db.write(ctx, 0, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE jobs SET state = 'pending', next_attempt_at = $1, attempts = 0,
			skip_reason = '', claimed_by = '', lease_until = NULL, updated_at = $1
			WHERE id = $2 AND state IN ('failed', 'skipped')`, now.UnixMilli(), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFoundOr(ctx, tx, "jobs", id, fmt.Errorf("%w: only a failed or skipped job can be retried", herald.ErrConflict))
		}
		return notifyJobs(ctx, tx)
	})
	return wrap(fmt.Sprintf("retry job %d", id), err)
}

// RetryFailed puts every failed job back to pending and returns how many.
func (db *DB) RetryFailed(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.write(ctx, 0, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE jobs SET state = 'pending', next_attempt_at = $1, attempts = 0,
			claimed_by = '', lease_until = NULL, updated_at = $1 WHERE state = 'failed'`, now.UnixMilli())
		if err != nil {
			return err
		}
		if n = tag.RowsAffected(); n > 0 {
			return notifyJobs(ctx, tx)
		}
		return nil
	})
	return int(n), wrap("retry failed jobs", err)
}

// CancelJob skips a pending job with reason cancelled. A claim on it is
// dropped, so its claimer can no longer start or finish it.
func (db *DB) CancelJob(ctx context.Context, id int64, now time.Time) error {
	err := db.write(ctx, 0, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE jobs SET state = 'skipped', skip_reason = $1, claimed_by = '',
			lease_until = NULL, updated_at = $2 WHERE id = $3 AND state = 'pending'`,
			herald.SkipCancelled, now.UnixMilli(), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFoundOr(ctx, tx, "jobs", id, fmt.Errorf("%w: only a pending job can be cancelled", herald.ErrConflict))
		}
		return nil
	})
	return wrap(fmt.Sprintf("cancel job %d", id), err)
}

// MarkDeleted records that a sent post was deleted from its network.
func (db *DB) MarkDeleted(ctx context.Context, jobID int64, at time.Time) error {
	err := db.write(ctx, 0, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE jobs SET deleted_at = $1, updated_at = $1 WHERE id = $2 AND state = 'sent'`,
			at.UnixMilli(), jobID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFoundOr(ctx, tx, "jobs", jobID, fmt.Errorf("%w: only a sent post can be deleted", herald.ErrConflict))
		}
		return nil
	})
	return wrap(fmt.Sprintf("mark job %d deleted", jobID), err)
}

// SentCount counts an account's jobs sent at or after since.
func (db *DB) SentCount(ctx context.Context, account string, since time.Time) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE account_id = $1 AND state = 'sent' AND sent_at >= $2`,
		account, since.UnixMilli()).Scan(&n)
	return n, wrap("sent count", err)
}

package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// JobCols reads a job row as j (scanned by ScanJob).
const JobCols = `j.id, j.article_id, j.account_id, j.seq, j.kind, j.state, j.priority, j.template, j.text,
	j.scheduled_at, j.next_attempt_at, j.attempts, j.attempt_started_at, j.last_error, j.error_kind,
	j.skip_reason, j.sent_text, j.remote_id, j.permalink, j.sent_at, j.deleted_at, j.remote_gone,
	j.short_code, j.created_at, j.updated_at, j.claimed_by, j.lease_until, j.network,
	j.retweets, j.quotes, j.likes, j.replies, j.impressions, j.bookmarks, j.shares, j.reactions,
	j.comments, j.clicks, j.reply_to`

// ScanJob scans JobCols into a job (without its article).
func ScanJob(row Row) (herald.Job, error) {
	var j herald.Job
	e := &j.Latest
	err := row.Scan(&j.ID, &j.ArticleID, &j.Account, &j.Seq, &j.Kind, &j.State, &j.Priority, &j.Template,
		&j.Text, TM(&j.ScheduledAt), TM(&j.NextAttemptAt), &j.Attempts, TM(&j.AttemptStartedAt), &j.LastError,
		&j.ErrorKind, &j.SkipReason, &j.SentText, &j.RemoteID, &j.Permalink, TM(&j.SentAt), TM(&j.DeletedAt),
		&j.RemoteGone, &j.ShortCode, TM(&j.CreatedAt), TM(&j.UpdatedAt), &j.ClaimedBy, TM(&j.LeaseUntil),
		&j.Network, &e.Retweets, &e.Quotes, &e.Likes, &e.Replies, &e.Impressions, &e.Bookmarks, &e.Shares,
		&e.Reactions, &e.Comments, &j.Clicks, &j.ReplyTo)
	return j, err
}

// QueryJobs runs a query of JobCols and scans its jobs (without articles).
func QueryJobs(ctx context.Context, q Querier, query string, args ...any) ([]herald.Job, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return Collect(rows, ScanJob)
}

// GetJob returns a job with its article, inside q's transaction.
func (s *Store) getJob(ctx context.Context, q Querier, id int64) (herald.Job, error) {
	j, err := ScanJob(q.QueryRow(ctx, `SELECT `+JobCols+` FROM jobs j WHERE j.id = ?`, id))
	if err != nil {
		return j, err
	}
	js := []herald.Job{j}
	err = s.AttachArticles(ctx, q, js)
	return js[0], err
}

// AttachArticles fills each job's Article.
func (s *Store) AttachArticles(ctx context.Context, q Querier, js []herald.Job) error {
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
	var args []any
	rows, err := q.Query(ctx, `SELECT `+ArticleCols+` FROM articles a WHERE a.id IN `+in(&args, ids), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := s.d.ScanArticle(rows)
		if err != nil {
			return err
		}
		byID[a.ID] = &a
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sections, err := LoadSections(ctx, q, ids)
	if err != nil {
		return err
	}
	for i := range js {
		if a := byID[js[i].ArticleID]; a != nil {
			c := *a
			c.Sections = sections[c.ID]
			js[i].Article = &c
		}
	}
	return nil
}

// GetJob returns a job with its article.
func (s *Store) GetJob(ctx context.Context, id int64) (herald.Job, error) {
	var j herald.Job
	err := s.b.Read(ctx, func(q Querier) error {
		var err error
		j, err = s.getJob(ctx, q, id)
		return err
	})
	return j, s.wrap(fmt.Sprintf("get job %d", id), err)
}

// FindJobByShortCode returns the job (with its article) of a short code
// without counting a click: link-preview bots are redirected from it.
func (s *Store) FindJobByShortCode(ctx context.Context, code string) (herald.Job, error) {
	var j herald.Job
	err := s.b.Read(ctx, func(q Querier) error {
		var id int64
		if err := q.QueryRow(ctx, `SELECT id FROM jobs WHERE short_code = ?`, code).Scan(&id); err != nil {
			return err
		}
		var err error
		j, err = s.getJob(ctx, q, id)
		return err
	})
	return j, s.wrap("find short code", err)
}

// QJobByRemote is the sent job with the remote ID or permalink ?1.
const QJobByRemote = `SELECT ` + JobCols + ` FROM jobs j WHERE j.state = 'sent' AND j.id IN (
	SELECT id FROM jobs WHERE remote_id = ?1 AND remote_id <> ''
	UNION SELECT id FROM jobs WHERE permalink = ?1 AND permalink <> '')
	ORDER BY j.id DESC LIMIT 1`

// FindJobByRemote returns the sent job with this remote ID or permalink.
func (s *Store) FindJobByRemote(ctx context.Context, remote string) (herald.Job, error) {
	if remote == "" {
		return herald.Job{}, s.wrap("find job by remote", herald.ErrNotFound)
	}
	jobs, err := s.listJobs(ctx, QJobByRemote, remote)
	if err == nil && len(jobs) == 0 {
		err = herald.ErrNotFound
	}
	if err != nil {
		return herald.Job{}, s.wrap("find job by remote", err)
	}
	return jobs[0], nil
}

// ListJobs returns jobs matching f, newest first, with their articles and
// latest engagement.
func (s *Store) ListJobs(ctx context.Context, f herald.JobFilter) ([]herald.Job, error) {
	var where []string
	var args []any
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		where = append(where, `j.state IN `+in(&args, states))
	}
	if f.Account != "" {
		where = append(where, `j.account_id = ?`)
		args = append(args, f.Account)
	}
	if f.ArticleID != 0 {
		where = append(where, `j.article_id = ?`)
		args = append(args, f.ArticleID)
	}
	query := `SELECT ` + JobCols + ` FROM jobs j`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY j.id DESC`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	jobs, err := s.listJobs(ctx, query, args...)
	return jobs, s.wrap("list jobs", err)
}

func (s *Store) listJobs(ctx context.Context, query string, args ...any) ([]herald.Job, error) {
	var out []herald.Job
	err := s.b.Read(ctx, func(q Querier) error {
		var err error
		if out, err = QueryJobs(ctx, q, query, args...); err != nil {
			return err
		}
		return s.AttachArticles(ctx, q, out)
	})
	return out, err
}

// One range of jobs_state per state (herald.JobStates), rather than a scan
// of every job.
var (
	QCountJobs        = countJobsSQL("")
	QCountAccountJobs = countJobsSQL(" AND account_id = ?")
)

func countJobsSQL(where string) string {
	states := make([]string, len(herald.JobStates))
	for i, st := range herald.JobStates {
		states[i] = "('" + string(st) + "')"
	}
	return `WITH states (state) AS (VALUES ` + strings.Join(states, ", ") + `)
		SELECT s.state, (SELECT count(*) FROM jobs WHERE state = s.state` + where + `) FROM states s`
}

// CountJobs counts jobs by state (account "" for all).
func (s *Store) CountJobs(ctx context.Context, account string) (herald.JobCounts, error) {
	query, args := QCountJobs, []any(nil)
	if account != "" {
		query, args = QCountAccountJobs, []any{account}
	}
	rows, err := s.b.Reader().Query(ctx, query, args...)
	if err != nil {
		return nil, s.wrap("count jobs", err)
	}
	defer rows.Close()
	out := herald.JobCounts{}
	for rows.Next() {
		var st herald.JobState
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, s.wrap("count jobs", err)
		}
		if n > 0 {
			out[st] = n
		}
	}
	return out, s.wrap("count jobs", rows.Err())
}

// NextDueSQL reads the pending jobs' index, which holds next_attempt_at.
func (d *Dialect) NextDueSQL() string {
	return `SELECT min(next_attempt_at) FROM jobs` + d.IndexedBy("jobs_pending") + ` WHERE state = 'pending'`
}

// NextDue returns the earliest NextAttemptAt of pending jobs (zero if none).
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.b.Reader().QueryRow(ctx, s.d.NextDueSQL()).Scan(TM(&t))
	return t, s.wrap("next due", err)
}

// SentCountSQL counts the jobs of account ?1 sent at or after ?2.
func (d *Dialect) SentCountSQL() string {
	return `SELECT count(*) FROM jobs` + d.IndexedBy("jobs_sent") + `
		WHERE account_id = ? AND state = 'sent' AND sent_at >= ?`
}

// SentCount counts an account's jobs sent at or after since.
func (s *Store) SentCount(ctx context.Context, account string, since time.Time) (int, error) {
	var n int
	err := s.b.Reader().QueryRow(ctx, s.d.SentCountSQL(), account, since.UnixMilli()).Scan(&n)
	return n, s.wrap("sent count", err)
}

// updateJob runs an update of job id inside a write transaction; one that
// matched nothing is ErrNotFound, or conflict when the job exists. With
// notify, other instances learn that jobs became due.
func (s *Store) updateJob(ctx context.Context, op string, id int64, conflict string, notify bool, query string, args ...any) error {
	err := s.b.Write(ctx, 0, func(q Querier) error {
		n, err := q.Exec(ctx, query, args...)
		if err != nil {
			return err
		}
		if n == 0 {
			return NotFoundOr(ctx, q, "jobs", id, fmt.Errorf("%w: %s", herald.ErrConflict, conflict))
		}
		if notify {
			return s.notify(ctx, q)
		}
		return nil
	})
	return s.wrap(op, err)
}

// RetryJob puts a failed or skipped job back to pending, due now, with its
// attempt count reset. An unknown outcome recorded on it is kept, so the
// next claim still reconciles before sending.
func (s *Store) RetryJob(ctx context.Context, id int64, now time.Time) error {
	return s.updateJob(ctx, fmt.Sprintf("retry job %d", id), id, "only a failed or skipped job can be retried", true,
		`UPDATE jobs SET state = 'pending', next_attempt_at = ?1, attempts = 0,
		skip_reason = '', claimed_by = '', lease_until = NULL, updated_at = ?1
		WHERE id = ?2 AND state IN ('failed', 'skipped')`, now.UnixMilli(), id)
}

// CancelJob skips a pending job with reason cancelled. A claim on it is
// dropped, so its claimer can no longer start or finish it.
func (s *Store) CancelJob(ctx context.Context, id int64, now time.Time) error {
	return s.updateJob(ctx, fmt.Sprintf("cancel job %d", id), id, "only a pending job can be cancelled", false,
		`UPDATE jobs SET state = 'skipped', skip_reason = ?, claimed_by = '',
		lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'pending'`,
		herald.SkipCancelled, now.UnixMilli(), id)
}

// MarkDeleted records that a sent post was deleted from its network.
func (s *Store) MarkDeleted(ctx context.Context, jobID int64, at time.Time) error {
	return s.updateJob(ctx, fmt.Sprintf("mark job %d deleted", jobID), jobID, "only a sent post can be deleted", false,
		`UPDATE jobs SET deleted_at = ?1, updated_at = ?1 WHERE id = ?2 AND state = 'sent'`, at.UnixMilli(), jobID)
}

// RetryFailed puts every failed job back to pending and returns how many.
func (s *Store) RetryFailed(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.b.Write(ctx, 0, func(q Querier) error {
		var err error
		n, err = q.Exec(ctx, `UPDATE jobs SET state = 'pending', next_attempt_at = ?1, attempts = 0,
			claimed_by = '', lease_until = NULL, updated_at = ?1 WHERE state = 'failed'`, now.UnixMilli())
		if err != nil || n == 0 {
			return err
		}
		return s.notify(ctx, q)
	})
	return int(n), s.wrap("retry failed jobs", err)
}

// CreateJob creates a repost or ad-hoc job with the next Seq (≥ 1) for its
// article and account. The article's row is locked meanwhile, so instances
// creating jobs for one article at once take turns.
func (s *Store) CreateJob(ctx context.Context, nj herald.NewJob, now time.Time) (herald.Job, error) {
	if nj.Account == "" {
		return herald.Job{}, fmt.Errorf("%s: create job: no account", s.d.Name)
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
	err := s.b.Write(ctx, RetryUnique, func(q Querier) error {
		id, err := s.insertNextJob(ctx, q, JobRow{ArticleID: nj.ArticleID, Account: nj.Account, Kind: kind,
			Priority: nj.Priority, Template: nj.Template, Text: nj.Text, Due: due, Now: now})
		if err != nil {
			return err
		}
		if j, err = s.getJob(ctx, q, id); err != nil {
			return err
		}
		return s.notify(ctx, q)
	})
	return j, s.wrap("create job", err)
}

// insertNextJob inserts j as the next job (Seq) of its article for its
// account, published when the article was, inside q's transaction.
func (s *Store) insertNextJob(ctx context.Context, q Querier, j JobRow) (int64, error) {
	var pub int64
	if err := q.QueryRow(ctx, `SELECT published_at FROM articles WHERE id = ?`+s.d.LockRow,
		j.ArticleID).Scan(&pub); err != nil {
		return 0, err
	}
	if err := q.QueryRow(ctx, `SELECT coalesce(max(seq), 0) + 1 FROM jobs WHERE article_id = ? AND account_id = ?`,
		j.ArticleID, j.Account).Scan(&j.Seq); err != nil {
		return 0, err
	}
	if err := EnsureAccount(ctx, q, j.Account, j.Now); err != nil {
		return 0, err
	}
	j.PublishedAt = FromMS(pub)
	return InsertJob(ctx, q, j)
}

// JobRow is a job to insert.
type JobRow struct {
	ArticleID   int64
	Account     string
	Seq         int
	Kind        string
	Priority    herald.Priority
	Template    string
	Text        string
	ReplyTo     string
	PublishedAt time.Time // the article's
	Due         time.Time
	Now         time.Time
	// OnlyFirst inserts nothing (ErrJobExists) when the article already
	// has a job for the account.
	OnlyFirst bool
	// Held inserts the job held for review rather than pending.
	Held bool
}

// ErrJobExists: InsertJob with OnlyFirst found a job of the article for the account.
var ErrJobExists = errors.New("the article has a job for the account")

// EnsureAccount creates the row of an account never synced, for its jobs.
func EnsureAccount(ctx context.Context, q Querier, id string, now time.Time) error {
	_, err := q.Exec(ctx, `INSERT INTO accounts (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
		id, now.UnixMilli())
	return err
}

// InsertJob inserts a pending (or held) job with a fresh short code; its
// account's row must exist (EnsureAccount).
func InsertJob(ctx context.Context, q Querier, j JobRow) (int64, error) {
	state := herald.JobPending
	if j.Held {
		state = herald.JobHeld
	}
	for try := 0; ; try++ {
		var id int64
		// A clash of random codes would abort a PostgreSQL transaction: skip
		// the row instead and draw again.
		err := q.QueryRow(ctx, `INSERT INTO jobs (article_id, account_id, network, seq, kind, state,
			priority, published_at, template, text, scheduled_at, next_attempt_at, short_code, created_at, updated_at, reply_to)
			SELECT ?1, ?2, (SELECT network FROM accounts WHERE id = ?2), ?3, ?4, ?13, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?11, ?14
			WHERE NOT ?12 OR NOT EXISTS (SELECT 1 FROM jobs WHERE article_id = ?1 AND account_id = ?2)
			ON CONFLICT (short_code) DO NOTHING RETURNING id`,
			j.ArticleID, j.Account, j.Seq, j.Kind, j.Priority, j.PublishedAt.UnixMilli(), j.Template, j.Text,
			j.Due.UnixMilli(), newShortCode(), j.Now.UnixMilli(), j.OnlyFirst, string(state), j.ReplyTo).Scan(&id)
		if !errors.Is(err, ErrNoRows) {
			return id, err
		}
		if j.OnlyFirst {
			var n int
			if err := q.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE article_id = ? AND account_id = ?`,
				j.ArticleID, j.Account).Scan(&n); err != nil {
				return 0, err
			}
			if n > 0 {
				return 0, ErrJobExists
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

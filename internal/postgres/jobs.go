package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

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
	held        bool // held for review
	// onlyFirst inserts nothing (errJobExists) when the article already
	// has a job for the account.
	onlyFirst bool
}

// errJobExists: insertJob with onlyFirst found a job of the article for the account.
var errJobExists = sqlstore.ErrJobExists

// ensureAccount creates the row of an account never synced, for its jobs.
func ensureAccount(ctx context.Context, tx pgx.Tx, id string, now time.Time) error {
	return sqlstore.EnsureAccount(ctx, pq(tx), id, now)
}

// insertJob inserts a pending job with a fresh short code; its account's row
// must exist (ensureAccount).
func insertJob(ctx context.Context, tx pgx.Tx, j jobRow) (int64, error) {
	return sqlstore.InsertJob(ctx, pq(tx), sqlstore.JobRow{
		ArticleID: j.articleID, Account: j.account, Seq: j.seq, Kind: j.kind, Priority: j.priority,
		Template: j.template, Text: j.text, PublishedAt: j.publishedAt, Due: j.due, Now: j.now, Held: j.held,
		OnlyFirst: j.onlyFirst,
	})
}

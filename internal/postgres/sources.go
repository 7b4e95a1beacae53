package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/herald"
)

const sourceCols = `id, name, url, etag, last_modified, seeded, last_polled_at, next_poll_at,
	last_status, last_error, failures, article_count, hub_url, push_state, push_secret, push_lease_until`

func scanSource(row pgx.Row) (herald.Source, error) {
	var s herald.Source
	err := row.Scan(&s.ID, &s.Name, &s.URL, &s.ETag, &s.LastModified, &s.Seeded, tm(&s.LastPolledAt),
		tm(&s.NextPollAt), &s.LastStatus, &s.LastError, &s.Failures, &s.ArticleCount, &s.HubURL,
		&s.PushState, &s.PushSecret, tm(&s.PushLeaseUntil))
	return s, err
}

func scanSources(rows pgx.Rows) ([]herald.Source, error) {
	defer rows.Close()
	var out []herald.Source
	for rows.Next() {
		s, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SyncSources creates or updates the configured sources by name and retires
// the feeds no longer configured. A source whose URL changed forgets its
// validators and is seeded again, so a new feed's backlog is not announced.
func (db *DB) SyncSources(ctx context.Context, specs []herald.SourceSpec) error {
	now := time.Now().UnixMilli()
	names := make([]string, 0, len(specs))
	err := db.write(ctx, retryUnique, func(tx pgx.Tx) error {
		names = names[:0]
		for _, s := range specs {
			_, err := tx.Exec(ctx, `INSERT INTO sources (name, url, created_at) VALUES ($1, $2, $3)
				ON CONFLICT (name) DO UPDATE SET
					active = true, push_only = false, url = excluded.url,
					etag = CASE WHEN sources.url = excluded.url THEN sources.etag ELSE '' END,
					last_modified = CASE WHEN sources.url = excluded.url THEN sources.last_modified ELSE '' END,
					seeded = CASE WHEN sources.url = excluded.url THEN sources.seeded ELSE false END,
					next_poll_at = CASE WHEN sources.url = excluded.url THEN sources.next_poll_at ELSE NULL END`,
				s.Name, s.URL, now)
			if err != nil {
				return err
			}
			names = append(names, s.Name)
		}
		_, err := tx.Exec(ctx, `UPDATE sources SET active = false
			WHERE NOT push_only AND active AND NOT (name = ANY($1))`, names)
		return err
	})
	return wrap("sync sources", err)
}

// ListSources returns the active sources (configured feeds and push-only
// sources) by name, with their article counts.
func (db *DB) ListSources(ctx context.Context) ([]herald.Source, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+sourceCols+` FROM sources WHERE active ORDER BY name`)
	if err != nil {
		return nil, wrap("list sources", err)
	}
	out, err := scanSources(rows)
	return out, wrap("list sources", err)
}

// GetSource returns a source by name, configured or not.
func (db *DB) GetSource(ctx context.Context, name string) (herald.Source, error) {
	s, err := scanSource(db.pool.QueryRow(ctx, `SELECT `+sourceCols+` FROM sources WHERE name = $1`, name))
	return s, wrap("get source "+name, err)
}

// ClaimSources leases up to limit due feeds to owner, the longest-waiting
// first. Rows another instance is claiming at the same moment are skipped,
// never waited for.
func (db *DB) ClaimSources(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]herald.Source, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `UPDATE sources s SET claimed_by = $1, lease_until = $2
		FROM (SELECT id FROM sources
			WHERE active AND NOT push_only AND url <> ''
			AND coalesce(next_poll_at, 0) <= $3
			AND (claimed_by = '' OR lease_until IS NULL OR lease_until <= $3)
			ORDER BY coalesce(next_poll_at, 0), id LIMIT $4
			FOR UPDATE SKIP LOCKED) due
		WHERE s.id = due.id
		RETURNING `+prefix("s.", sourceCols), owner, now.Add(defaultLease(lease)).UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, wrap("claim sources", err)
	}
	out, err := scanSources(rows)
	if err != nil {
		return nil, wrap("claim sources", err)
	}
	slices.SortFunc(out, func(a, b herald.Source) int {
		if c := a.NextPollAt.Compare(b.NextPollAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// SavePoll records a poll's result and releases owner's lease. Seeded never
// goes back to false.
func (db *DB) SavePoll(ctx context.Context, owner string, r herald.PollResult) error {
	err := db.write(ctx, 0, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE sources SET etag = $1, last_modified = $2, last_status = $3,
			last_error = $4, failures = $5, seeded = (seeded OR $6), last_polled_at = $7, next_poll_at = $8,
			hub_url = $9, claimed_by = '', lease_until = NULL
			WHERE id = $10 AND claimed_by = $11`,
			r.ETag, r.LastModified, r.Status, r.Error, r.Failures, r.Seeded, ms(r.PolledAt), ms(r.NextPollAt),
			r.HubURL, r.SourceID, owner)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFoundOr(ctx, tx, "sources", r.SourceID, herald.ErrLeaseLost)
		}
		return nil
	})
	return wrap(fmt.Sprintf("save poll of source %d", r.SourceID), err)
}

// PushSource returns the push-only source name, creating it if needed.
func (db *DB) PushSource(ctx context.Context, name string) (herald.Source, error) {
	var s herald.Source
	err := db.write(ctx, retryUnique, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sources (name, push_only, seeded, created_at)
			VALUES ($1, true, true, $2) ON CONFLICT (name) DO NOTHING`, name, time.Now().UnixMilli())
		if err != nil {
			return err
		}
		s, err = scanSource(tx.QueryRow(ctx, `SELECT `+sourceCols+` FROM sources WHERE name = $1`, name))
		return err
	})
	return s, wrap("push source "+name, err)
}

// SetPush records a source's WebSub subscription state.
func (db *DB) SetPush(ctx context.Context, sourceID int64, p herald.PushState) error {
	tag, err := db.pool.Exec(ctx, `UPDATE sources SET hub_url = $1, push_state = $2, push_secret = $3,
		push_lease_until = $4 WHERE id = $5`, p.HubURL, p.State, p.Secret, ms(p.LeaseUntil), sourceID)
	if err == nil && tag.RowsAffected() == 0 {
		err = herald.ErrNotFound
	}
	return wrap(fmt.Sprintf("set push of source %d", sourceID), err)
}

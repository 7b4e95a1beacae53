package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

const sourceCols = `id, name, url, etag, last_modified, seeded, last_polled_at, next_poll_at,
	last_status, last_error, failures, article_count, hub_url, push_state, push_secret, push_lease_until`

func scanSource(row interface{ Scan(...any) error }) (herald.Source, error) {
	var s herald.Source
	err := row.Scan(&s.ID, &s.Name, &s.URL, &s.ETag, &s.LastModified, &s.Seeded, tm(&s.LastPolledAt),
		tm(&s.NextPollAt), &s.LastStatus, &s.LastError, &s.Failures, &s.ArticleCount, &s.HubURL,
		&s.PushState, &s.PushSecret, tm(&s.PushLeaseUntil))
	return s, err
}

// SyncSources creates or updates the configured sources by name and retires
// the feeds no longer configured. A source whose URL changed forgets its
// validators and is seeded again, so a new feed's backlog is not announced.
func (db *DB) SyncSources(ctx context.Context, specs []herald.SourceSpec) error {
	now := time.Now().UnixMilli()
	err := db.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS configured (name TEXT PRIMARY KEY)`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM temp.configured`); err != nil {
			return err
		}
		for _, s := range specs {
			_, err := tx.ExecContext(ctx, `INSERT INTO sources (name, url, created_at) VALUES (?, ?, ?)
				ON CONFLICT (name) DO UPDATE SET
					active = 1, push_only = 0, url = excluded.url,
					etag = CASE WHEN url = excluded.url THEN etag ELSE '' END,
					last_modified = CASE WHEN url = excluded.url THEN last_modified ELSE '' END,
					seeded = CASE WHEN url = excluded.url THEN seeded ELSE 0 END,
					next_poll_at = CASE WHEN url = excluded.url THEN next_poll_at ELSE NULL END`,
				s.Name, s.URL, now)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO temp.configured (name) VALUES (?)`, s.Name); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE sources SET active = 0
			WHERE push_only = 0 AND active = 1 AND name NOT IN (SELECT name FROM temp.configured)`)
		return err
	})
	return wrap("sync sources", err)
}

// ListSources returns the active sources (configured feeds and push-only
// sources) by name, with their article counts.
func (db *DB) ListSources(ctx context.Context) ([]herald.Source, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+sourceCols+` FROM sources WHERE active = 1 ORDER BY name`)
	if err != nil {
		return nil, wrap("list sources", err)
	}
	defer rows.Close()
	var out []herald.Source
	for rows.Next() {
		s, err := scanSource(rows)
		if err != nil {
			return nil, wrap("list sources", err)
		}
		out = append(out, s)
	}
	return out, wrap("list sources", rows.Err())
}

// GetSource returns a source by name, configured or not.
func (db *DB) GetSource(ctx context.Context, name string) (herald.Source, error) {
	s, err := scanSource(db.r.QueryRowContext(ctx, `SELECT `+sourceCols+` FROM sources WHERE name = ?`, name))
	return s, wrap("get source "+name, err)
}

// qClaimSources is the longest-waiting due feeds, never polled first:
// SQLite sorts NULL first, so sources_due (next_poll_at, then the rowid id)
// gives them in order, and a claim reads only the rows it takes instead of
// sorting every due feed (milliseconds a claim at 10,000 feeds).
var qClaimSources = `SELECT ` + sourceCols + ` FROM sources
	WHERE active = 1 AND push_only = 0 AND url <> ''
	AND (next_poll_at IS NULL OR next_poll_at <= ?1)
	AND (claimed_by = '' OR lease_until IS NULL OR lease_until <= ?1)
	ORDER BY next_poll_at, id LIMIT ?2`

// ClaimSources leases up to limit due feeds to owner, the longest-waiting first.
func (db *DB) ClaimSources(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]herald.Source, error) {
	if limit <= 0 {
		return nil, nil
	}
	lease = defaultLease(lease)
	var out []herald.Source
	err := db.write(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, qClaimSources, now.UnixMilli(), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			s, err := scanSource(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, s := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE sources SET claimed_by = ?, lease_until = ? WHERE id = ?`,
				owner, now.Add(lease).UnixMilli(), s.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("claim sources", err)
	}
	return out, nil
}

// SavePoll records a poll's result and releases owner's lease. Seeded never
// goes back to false.
func (db *DB) SavePoll(ctx context.Context, owner string, r herald.PollResult) error {
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE sources SET etag = ?, last_modified = ?, last_status = ?,
			last_error = ?, failures = ?, seeded = (seeded OR ?), last_polled_at = ?, next_poll_at = ?,
			hub_url = ?, claimed_by = '', lease_until = NULL
			WHERE id = ? AND claimed_by = ?`,
			r.ETag, r.LastModified, r.Status, r.Error, r.Failures, r.Seeded, ms(r.PolledAt), ms(r.NextPollAt),
			r.HubURL, r.SourceID, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFoundOr(ctx, tx, "sources", r.SourceID, herald.ErrLeaseLost)
		}
		return nil
	})
	return wrap(fmt.Sprintf("save poll of source %d", r.SourceID), err)
}

// PushSource returns the push-only source name, creating it if needed.
func (db *DB) PushSource(ctx context.Context, name string) (herald.Source, error) {
	var s herald.Source
	err := db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sources (name, push_only, seeded, created_at)
			VALUES (?, 1, 1, ?) ON CONFLICT (name) DO NOTHING`, name, time.Now().UnixMilli())
		if err != nil {
			return err
		}
		s, err = scanSource(tx.QueryRowContext(ctx, `SELECT `+sourceCols+` FROM sources WHERE name = ?`, name))
		return err
	})
	return s, wrap("push source "+name, err)
}

// SetPush records a source's WebSub subscription state.
func (db *DB) SetPush(ctx context.Context, sourceID int64, p herald.PushState) error {
	res, err := db.w.ExecContext(ctx, `UPDATE sources SET hub_url = ?, push_state = ?, push_secret = ?,
		push_lease_until = ? WHERE id = ?`, p.HubURL, p.State, p.Secret, ms(p.LeaseUntil), sourceID)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			err = herald.ErrNotFound
		}
	}
	return wrap(fmt.Sprintf("set push of source %d", sourceID), err)
}

// defaultLease guards against a zero lease, which would let a second claimer
// take the work at once.
func defaultLease(d time.Duration) time.Duration {
	if d <= 0 {
		return 30 * time.Second
	}
	return d
}

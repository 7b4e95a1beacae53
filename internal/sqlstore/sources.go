package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// SourceCols reads a source row (scanned by ScanSource).
const SourceCols = `id, name, url, etag, last_modified, seeded, last_polled_at, next_poll_at,
	last_status, last_error, failures, article_count, hub_url, push_state, push_secret, push_lease_until`

// ScanSource scans SourceCols into a source.
func ScanSource(row Row) (herald.Source, error) {
	var s herald.Source
	err := row.Scan(&s.ID, &s.Name, &s.URL, &s.ETag, &s.LastModified, &s.Seeded, TM(&s.LastPolledAt),
		TM(&s.NextPollAt), &s.LastStatus, &s.LastError, &s.Failures, &s.ArticleCount, &s.HubURL,
		&s.PushState, &s.PushSecret, TM(&s.PushLeaseUntil))
	return s, err
}

// ScanSources scans every row of rows and closes them.
func ScanSources(rows Rows) ([]herald.Source, error) {
	return Collect(rows, ScanSource)
}

// Prefix qualifies each column of a comma-separated list with p ("s.").
func Prefix(p, cols string) string {
	fields := strings.Split(cols, ",")
	for i, f := range fields {
		fields[i] = p + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

// SyncSources creates or updates the configured sources by name and retires
// the feeds no longer configured, in one transaction: every feed is retired,
// then the configured ones come back. A source whose URL changed forgets
// its validators and is seeded again, so a new feed's backlog is not
// announced.
func (s *Store) SyncSources(ctx context.Context, specs []herald.SourceSpec) error {
	now := time.Now().UnixMilli()
	t, f := s.d.True, s.d.False
	err := s.b.Write(ctx, RetryUnique, func(q Querier) error {
		if _, err := q.Exec(ctx, `UPDATE sources SET active = `+f+` WHERE push_only = `+f+` AND active = `+t); err != nil {
			return err
		}
		for _, sp := range specs {
			_, err := q.Exec(ctx, `INSERT INTO sources (name, url, created_at) VALUES (?, ?, ?)
				ON CONFLICT (name) DO UPDATE SET
					active = `+t+`, push_only = `+f+`, url = excluded.url,
					etag = CASE WHEN sources.url = excluded.url THEN sources.etag ELSE '' END,
					last_modified = CASE WHEN sources.url = excluded.url THEN sources.last_modified ELSE '' END,
					seeded = CASE WHEN sources.url = excluded.url THEN sources.seeded ELSE `+f+` END,
					next_poll_at = CASE WHEN sources.url = excluded.url THEN sources.next_poll_at ELSE NULL END`,
				sp.Name, sp.URL, now)
			if err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap("sync sources", err)
}

// ListSources returns the active sources (configured feeds and push-only
// sources) by name, with their article counts.
func (s *Store) ListSources(ctx context.Context) ([]herald.Source, error) {
	rows, err := s.b.Reader().Query(ctx, `SELECT `+SourceCols+` FROM sources WHERE active = `+s.d.True+` ORDER BY name`)
	if err != nil {
		return nil, s.wrap("list sources", err)
	}
	out, err := ScanSources(rows)
	return out, s.wrap("list sources", err)
}

// GetSource returns a source by name, configured or not.
func (s *Store) GetSource(ctx context.Context, name string) (herald.Source, error) {
	src, err := ScanSource(s.b.Reader().QueryRow(ctx, `SELECT `+SourceCols+` FROM sources WHERE name = ?`, name))
	return src, s.wrap("get source "+name, err)
}

// SavePoll records a poll's result and releases owner's lease. Seeded never
// goes back to false.
func (s *Store) SavePoll(ctx context.Context, owner string, r herald.PollResult) error {
	err := s.b.Write(ctx, 0, func(q Querier) error {
		n, err := q.Exec(ctx, `UPDATE sources SET etag = ?, last_modified = ?, last_status = ?,
			last_error = ?, failures = ?, seeded = (seeded OR ?), last_polled_at = ?, next_poll_at = ?,
			hub_url = ?, claimed_by = '', lease_until = NULL
			WHERE id = ? AND claimed_by = ?`,
			r.ETag, r.LastModified, r.Status, r.Error, r.Failures, r.Seeded, MS(r.PolledAt), MS(r.NextPollAt),
			r.HubURL, r.SourceID, owner)
		if err != nil {
			return err
		}
		if n == 0 {
			return NotFoundOr(ctx, q, "sources", r.SourceID, herald.ErrLeaseLost)
		}
		return nil
	})
	return s.wrap(fmt.Sprintf("save poll of source %d", r.SourceID), err)
}

// PushSource returns the push-only source name, creating it if needed.
func (s *Store) PushSource(ctx context.Context, name string) (herald.Source, error) {
	var src herald.Source
	err := s.b.Write(ctx, RetryUnique, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO sources (name, push_only, seeded, created_at)
			VALUES (?, `+s.d.True+`, `+s.d.True+`, ?) ON CONFLICT (name) DO NOTHING`, name, time.Now().UnixMilli())
		if err != nil {
			return err
		}
		src, err = ScanSource(q.QueryRow(ctx, `SELECT `+SourceCols+` FROM sources WHERE name = ?`, name))
		return err
	})
	return src, s.wrap("push source "+name, err)
}

// SetPush records a source's WebSub subscription state.
func (s *Store) SetPush(ctx context.Context, sourceID int64, p herald.PushState) error {
	return s.updateOne(ctx, fmt.Sprintf("set push of source %d", sourceID), `UPDATE sources SET hub_url = ?,
		push_state = ?, push_secret = ?, push_lease_until = ? WHERE id = ?`,
		p.HubURL, p.State, p.Secret, MS(p.LeaseUntil), sourceID)
}

package postgres

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

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
		RETURNING `+sqlstore.Prefix("s.", sqlstore.SourceCols), owner, now.Add(sqlstore.DefaultLease(lease)).UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, wrap("claim sources", err)
	}
	out, err := sqlstore.ScanSources(rows)
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

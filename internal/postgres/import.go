package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Table is one table of an installation's history as Import loads it.
type Table struct {
	Name    string
	Columns []string
}

// Tables are the tables holding an installation's history, in the order
// Import loads them (a table after those it refers to), each with the
// columns Import loads. The SQLite store has the same tables and columns.
// Named leases (locks), item fingerprints (a cache the next changed body of
// each feed rebuilds) and schema_migrations are not history and not copied.
var Tables = []Table{
	{"sources", cols(`id, name, url, push_only, active, etag, last_modified, seeded, last_polled_at, next_poll_at,
		last_status, last_error, failures, hub_url, push_state, push_secret, push_lease_until, claimed_by,
		lease_until, article_count, created_at`)},
	{"articles", cols(`id, url, guid, title, summary, author, image_url, categories, section, published_at,
		first_seen_at, updated_at, stale, source_updated_at`)},
	{"article_urls", cols(`url, article_id`)},
	{"article_sources", cols(`article_id, source_id, guid, first_seen_at`)},
	{"accounts", cols(`id, network, paused, pause_reason, hold_until, hold_reason, token_expires_at,
		oauth_access, oauth_refresh, oauth_expiry, created_at`)},
	{"jobs", cols(`id, article_id, account_id, network, seq, kind, state, priority, published_at, template, text,
		scheduled_at, next_attempt_at, attempts, attempt_started_at, last_error, error_kind, skip_reason, sent_text,
		remote_id, permalink, sent_at, deleted_at, remote_gone, short_code, clicks, retweets, quotes, likes, replies,
		impressions, bookmarks, shares, reactions, comments, last_collected_at, claimed_by, lease_until,
		created_at, updated_at, reply_to`)},
	{"digest_parts", cols(`account_id, day, part, job_id, plan`)},
	{"attempts", cols(`job_id, n, owner, started_at, finished_at, outcome, error`)},
	{"snapshots", cols(`job_id, at, retweets, quotes, likes, replies, impressions, bookmarks, shares, reactions,
		comments`)},
	{"click_counts", cols(`job_id, hour, n`)},
	{"charges", cols(`id, account_id, kind, remote_id, day, amount, at`)},
	{"credentials", cols(`account_id, network, method, secrets, public, expires_at, updated_at, version`)},
	// Page views: the counts only; the day's visitors and salt are not
	// history (a copy starts counting the day afresh).
	{"view_counts", cols(`article_id, day, views`)},
}

func cols(s string) []string {
	fs := strings.Split(s, ",")
	for i, f := range fs {
		fs[i] = strings.TrimSpace(f)
	}
	return fs
}

// ErrNotEmpty is returned by Import for a database that already holds
// history (articles, jobs or ledger entries) when it was not asked to
// replace it.
var ErrNotEmpty = errors.New("the database already holds articles, posts or ledger entries")

// ImportOptions tunes Import.
type ImportOptions struct {
	// Replace lets Import empty a database that holds history; without it
	// Import refuses one (ErrNotEmpty).
	Replace bool
	// Loaded, if set, is called after each table with its row count.
	Loaded func(table string, rows int64)
}

// Import loads an installation's history into this migrated database in
// one transaction: every table of Tables, in order, with rows from rows
// (called once per table), keeping their IDs; then each ID sequence is
// moved past the highest ID loaded. Whatever the database held is removed
// first: rows that are only the configuration's sources and accounts (as
// `herald migrate` leaves them) go without asking, history only with
// opts.Replace. Values may be given as the SQLite store holds them:
// integers 0 and 1 for booleans, a JSON array (text) for categories.
// It returns the rows loaded per table.
func (db *DB) Import(ctx context.Context, opts ImportOptions, rows func(Table) (pgx.CopyFromSource, error)) (map[string]int64, error) {
	counts := make(map[string]int64, len(Tables))
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var history bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM articles) OR EXISTS (SELECT 1 FROM jobs)
			OR EXISTS (SELECT 1 FROM charges)`).Scan(&history); err != nil {
			return err
		}
		if history && !opts.Replace {
			return ErrNotEmpty
		}
		names := make([]string, 0, len(Tables)+1)
		for _, t := range Tables {
			names = append(names, pgx.Identifier{t.Name}.Sanitize())
		}
		names = append(names, "locks", "source_fingerprints", "view_visitors", "view_salts")
		if _, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(names, ", ")+` RESTART IDENTITY`); err != nil {
			return err
		}
		for _, t := range Tables {
			n, err := importTable(ctx, tx, t, rows)
			if err != nil {
				return fmt.Errorf("%s: %w", t.Name, err)
			}
			counts[t.Name] = n
			if opts.Loaded != nil {
				opts.Loaded(t.Name, n)
			}
		}
		return resetSequences(ctx, tx)
	})
	if err != nil {
		return nil, wrap("import", err)
	}
	// Fresh statistics, so the first queries get good plans.
	if _, err := db.pool.Exec(ctx, `ANALYZE`); err != nil {
		return counts, wrap("import: analyze", err)
	}
	return counts, nil
}

func importTable(ctx context.Context, tx pgx.Tx, t Table, rows func(Table) (pgx.CopyFromSource, error)) (int64, error) {
	kinds, err := columnKinds(ctx, tx, t)
	if err != nil {
		return 0, err
	}
	src, err := rows(t)
	if err != nil {
		return 0, err
	}
	return tx.CopyFrom(ctx, pgx.Identifier{t.Name}, t.Columns, &converted{src: src, kinds: kinds, cols: t.Columns})
}

// columnKinds returns, for each of t's columns, "boolean", "ARRAY" or ""
// (no conversion needed).
func columnKinds(ctx context.Context, tx pgx.Tx, t Table) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, t.Name)
	if err != nil {
		return nil, err
	}
	types := make(map[string]string)
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return nil, err
		}
		types[name] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	kinds := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		typ, ok := types[c]
		if !ok {
			return nil, fmt.Errorf("no column %s: migrate the database first", c)
		}
		if typ == "boolean" || typ == "ARRAY" {
			kinds[i] = typ
		}
	}
	return kinds, nil
}

// converted turns another store's values into what PostgreSQL's columns take.
type converted struct {
	src   pgx.CopyFromSource
	kinds []string
	cols  []string
}

func (c *converted) Next() bool { return c.src.Next() }
func (c *converted) Err() error { return c.src.Err() }

func (c *converted) Values() ([]any, error) {
	vs, err := c.src.Values()
	if err != nil {
		return nil, err
	}
	if len(vs) != len(c.kinds) {
		return nil, fmt.Errorf("row has %d values for %d columns", len(vs), len(c.kinds))
	}
	for i, kind := range c.kinds {
		if kind == "" || vs[i] == nil {
			continue
		}
		if vs[i], err = convert(kind, vs[i]); err != nil {
			return nil, fmt.Errorf("column %s: %w", c.cols[i], err)
		}
	}
	return vs, nil
}

func convert(kind string, v any) (any, error) {
	switch kind {
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case "ARRAY":
		switch x := v.(type) {
		case []string:
			return x, nil
		case string:
			return decodeList([]byte(x))
		case []byte:
			return decodeList(x)
		}
	}
	return nil, fmt.Errorf("cannot load %T into a %s column", v, kind)
}

func decodeList(b []byte) ([]string, error) {
	out := []string{}
	if len(b) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("not a JSON list of strings: %w", err)
	}
	if out == nil { // JSON null
		out = []string{}
	}
	return out, nil
}

// resetSequences moves each identity column's sequence past its table's
// highest ID, so that new rows do not collide with loaded ones.
func resetSequences(ctx context.Context, tx pgx.Tx) error {
	for _, t := range Tables {
		if !slices.Contains(t.Columns, "id") {
			continue
		}
		name := pgx.Identifier{t.Name}.Sanitize()
		var seq *string
		if err := tx.QueryRow(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, name).Scan(&seq); err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
		if seq == nil {
			continue // no identity column
		}
		if _, err := tx.Exec(ctx, `SELECT setval($1, coalesce(max(id), 0) + 1, false) FROM `+name, *seq); err != nil {
			return fmt.Errorf("%s: reset id sequence: %w", t.Name, err)
		}
	}
	return nil
}

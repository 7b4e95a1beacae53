package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/postgres"
	"github.com/heraldhq/herald/internal/sqlite"
)

func newStoreCmd(a *App) *cobra.Command {
	return newGroup("store", "Back up, restore or move Herald's database",
		newStoreBackupCmd(a), newStoreRestoreCmd(a), newStoreCopyCmd(a))
}

func newStoreCopyCmd(a *App) *cobra.Command {
	var from, to string
	var force bool
	cmd := &cobra.Command{
		Use:   "copy --from sqlite:PATH --to postgres://...",
		Short: "Copy an installation's whole history from SQLite to PostgreSQL",
		Long: `Copy everything Herald remembers from an SQLite database to PostgreSQL, to move
an installation onto a database that several instances can share: sources and
their polling state, articles and the feeds that carried them, accounts with
their holds and OAuth 2.0 tokens, every post job in whatever state (IDs kept,
so short links and permalinks still resolve), attempts, engagement readings,
clicks and the cost ledger. Named leases are not copied.

Stop Herald first: the copy reads one consistent snapshot, and anything the
daemon does afterwards stays behind. The SQLite file is brought to the current
schema (as any herald command would) and otherwise only read. PostgreSQL is
migrated, then loaded in one transaction: on any error nothing is written.

A PostgreSQL database that already holds articles, posts or ledger entries is
refused unless --force is given, which replaces them. Sources and accounts
alone (what 'herald migrate' records from the configuration) are replaced
without asking.

It refuses while a daemon (herald run) uses the SQLite database, whose
copy would miss what it writes meanwhile: stop the daemon first.

Then point database.url at PostgreSQL.`,
		Example: `  herald store copy --from sqlite:data/herald.db --to 'postgres://herald@db.example/herald?sslmode=require'`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, ok := strings.CutPrefix(from, "sqlite:")
			if !ok || src == "" {
				return usageErrorf("--from: must be sqlite:PATH")
			}
			if !strings.HasPrefix(to, "postgres://") && !strings.HasPrefix(to, "postgresql://") {
				return usageErrorf("--to: must be a postgres:// URL")
			}
			if err := refuseInUse("sqlite:"+src, "copy from"); err != nil {
				return err
			}
			return a.copyStore(cmd.Context(), src, to, force)
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the database to copy: sqlite:PATH")
	f.StringVar(&to, "to", "", "the database to load: postgres://...")
	f.BoolVar(&force, "force", false, "replace the history the PostgreSQL database already holds")
	cmd.MarkFlagRequired("from")
	cmd.MarkFlagRequired("to")
	return cmd
}

// copyStore copies the SQLite database at path to the PostgreSQL database at url.
func (a *App) copyStore(ctx context.Context, path, url string, force bool) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("store copy: %w", err)
	}
	// The copy reads columns the current schema has: bring the file up to it.
	lite, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	if err := errors.Join(lite.Migrate(ctx), lite.Close()); err != nil {
		return err
	}
	r, err := sql.Open("sqlite", path+"?_query_only=1&_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("store copy: open %s: %w", path, err)
	}
	defer r.Close()
	// One read transaction: every table from the same snapshot.
	tx, err := r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store copy: read %s: %w", path, err)
	}
	defer tx.Rollback()

	pg, err := postgres.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pg.Close()
	if err := pg.Migrate(ctx); err != nil {
		return err
	}
	var rows *sql.Rows
	defer func() {
		if rows != nil {
			rows.Close()
		}
	}()
	counts, err := pg.Import(ctx, postgres.ImportOptions{
		Replace: force,
		Loaded: func(table string, n int64) {
			fmt.Fprintf(a.Err(), "copied %d %s\n", n, strings.ReplaceAll(table, "_", " "))
		},
	}, func(t postgres.Table) (pgx.CopyFromSource, error) {
		if rows != nil {
			rows.Close() // the previous table's
		}
		q, qerr := tx.QueryContext(ctx, `SELECT `+strings.Join(t.Columns, ", ")+` FROM `+t.Name)
		if qerr != nil {
			return nil, fmt.Errorf("read %s from %s: %w", t.Name, path, qerr)
		}
		rows = q
		return newSQLRows(rows, len(t.Columns)), nil
	})
	if errors.Is(err, postgres.ErrNotEmpty) {
		return fmt.Errorf("store copy: %w; --force replaces it", err)
	}
	if err != nil {
		return err
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	redacted := (&config.Config{Database: config.Database{URL: url}}).Redacted().Database.URL
	_, err = fmt.Fprintf(a.Out(), "copied %d rows from sqlite:%s to %s: %d articles, %d jobs, %d snapshots, %d ledger entries\n",
		total, path, redacted, counts["articles"], counts["jobs"], counts["snapshots"], counts["charges"])
	return err
}

// sqlRows reads database/sql rows as pgx.CopyFromSource values.
type sqlRows struct {
	rows *sql.Rows
	vals []any
	ptrs []any
}

func newSQLRows(rows *sql.Rows, n int) *sqlRows {
	r := &sqlRows{rows: rows, vals: make([]any, n), ptrs: make([]any, n)}
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r
}

func (r *sqlRows) Next() bool { return r.rows.Next() }
func (r *sqlRows) Err() error { return r.rows.Err() }

// Values returns the current row; the slice is reused by the next call
// (pgx encodes each row before asking for the next).
func (r *sqlRows) Values() ([]any, error) {
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return nil, err
	}
	return r.vals, nil
}

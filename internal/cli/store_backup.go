package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/sqlite"
)

func newStoreBackupCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "backup PATH",
		Short: "Write a consistent copy of the SQLite database, even while herald run is using it",
		Long: `Write a copy of the configuration's SQLite database (database.url) to PATH,
without stopping the daemon: the copy holds everything committed when it
began, in one consistent state (SQLite's VACUUM INTO, which reads beside the
daemon's writes), and is renamed into place whole, replacing PATH.

For PostgreSQL use pg_dump (see the README); to replicate a SQLite database
continuously to object storage, run litestream beside Herald.`,
		Example: "  herald store backup /var/backups/herald-$(date +%F).db",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := a.sqliteFile("store backup copies a SQLite database; for PostgreSQL use pg_dump")
			if err != nil {
				return err
			}
			if err := sqlite.Backup(cmd.Context(), path, args[0]); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.Out(), "Backed up %s to %s.\n", path, args[0])
			return err
		},
	}
}

func newStoreRestoreCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "restore PATH",
		Short: "Replace the SQLite database with a backup (herald run must be stopped)",
		Long: `Replace the configuration's SQLite database (database.url) with the copy at
PATH that herald store backup wrote, after checking the copy is sound. It
refuses while a daemon (herald run) uses the database: stop it first, then
start it again after the restore. Everything written since the backup is
lost.`,
		Example: "  herald store restore /var/backups/herald-2026-03-10.db",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := a.sqliteFile("store restore replaces a SQLite database; for PostgreSQL use pg_restore")
			if err != nil {
				return err
			}
			if err := refuseInUse("sqlite:"+path, "restore into"); err != nil {
				return err
			}
			if err := sqlite.Restore(cmd.Context(), args[0], path); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.Out(), "Restored %s from %s.\n", path, args[0])
			return err
		},
	}
}

// sqliteFile is the file of the configuration's SQLite database, or a
// configuration error saying why (not SQLite).
func (a *App) sqliteFile(why string) (string, error) {
	cfg, err := a.Config()
	if err != nil {
		return "", err
	}
	path, ok := sqlitePath(cfg.Database.URL)
	if !ok {
		return "", usageErrorf("database.url: %s", why)
	}
	return path, nil
}

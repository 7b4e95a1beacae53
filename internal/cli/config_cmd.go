package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newConfigCmd(a *App) *cobra.Command {
	return newGroup("config", "Check and show the configuration", newConfigCheckCmd(a))
}

func newConfigCheckCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print it, with secrets shown as ***",
		Long: `Load the configuration (defaults, the file, HERALD_* environment variables,
flags) and validate it. When it is valid, print the effective configuration
as YAML on standard output, every secret replaced by ***; otherwise name each
key at fault and exit with status 2.`,
		Example: `  herald config check
  herald --config /etc/herald.yaml config check
  HERALD_PUBLISH_DRY_RUN=true herald config check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			out, err := cfg.Redacted().YAML()
			if err != nil {
				return fmt.Errorf("config: render: %w", err)
			}
			if _, err := a.Out().Write(out); err != nil {
				return err
			}
			source := cfg.File
			if source == "" {
				source = "no file: defaults and environment"
			}
			_, err = fmt.Fprintf(a.Err(), "configuration is valid (%s)\n", source)
			return err
		},
	}
}

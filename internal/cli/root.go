package cli

import (
	"strings"

	"github.com/heraldhq/herald/internal/config"
	"github.com/spf13/cobra"
)

// commands returns every top-level command, one constructor per line.
// To add one: write newXxxCmd(a *App) *cobra.Command in its own file of this
// package and add a line here.
func commands(a *App) []*cobra.Command {
	return []*cobra.Command{
		newAccountsCmd(a),
		newArticlesCmd(a),
		newCollectCmd(a),
		newConfigCmd(a),
		newDeleteCmd(a),
		newDigestCmd(a),
		newFeedsCmd(a),
		newHistoryCmd(a),
		newMigrateCmd(a),
		newPostCmd(a),
		newPreviewCmd(a),
		newQueueCmd(a),
		newReportCmd(a),
		newRepostCmd(a),
		newRunCmd(a),
		newSandboxCmd(a),
		newSourcesCmd(a),
		newStatusCmd(a),
		newReloadCmd(a),
		newStoreCmd(a),
		newVersionCmd(a),
	}
}

// NewRoot returns the herald command with every subcommand, the global
// flags bound to a, and errors left to the caller (App.Run prints them).
func NewRoot(a *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "herald",
		Short: "Post news stories to X, Facebook, Mastodon and Bluesky the moment they are published",
		Long: `Herald watches a newsroom's feeds and CMS webhooks, posts each new story
(headline and link) to its X accounts, Facebook Pages, Mastodon and Bluesky
accounts exactly once, reads the engagement back, and ranks the stories
people share most.

Start with:  herald run        (the daemon; Ctrl-C stops it)
Check with:  herald config check`,
		Version:       Build().Version,
		SilenceUsage:  true, // a failing command is not a usage problem
		SilenceErrors: true, // App.Run prints the error once
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetIn(a.stdin)
	root.SetVersionTemplate("herald {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })

	pf := root.PersistentFlags()
	pf.StringVarP(&a.configPath, "config", "c", config.DefaultPath,
		"configuration file (also HERALD_CONFIG)")
	pf.StringVar(&a.logLevel, "log-level", "", "log level: debug, info, warn or error (default from log.level: info)")
	pf.StringVar(&a.logFormat, "log-format", "", "log format: auto (text on a terminal, JSON otherwise), text or json")
	pf.BoolVar(&a.noColor, "no-color", false, "never colour the output (also NO_COLOR)")
	a.flags = pf

	for _, cmd := range commands(a) {
		root.AddCommand(cmd)
	}
	root.AddCommand(exitCodesTopic())
	strictCompletion(root)
	a.completeFlags(root)
	a.markRuns(root)
	return root
}

// newGroup returns a command that only holds subcommands (like "config" or
// "feeds"): alone it prints its help, and an unknown subcommand is a usage
// error rather than a silent help screen.
func newGroup(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(subs...)
	return cmd
}

// markRuns wraps every command's Run so that App.Run knows whether one
// started: an error cobra returns before that (unknown command, bad
// arguments, a missing required flag) is a usage error, exit status 2. So
// commands check their input in Args or RunE, never in a PreRun doing I/O.
func (a *App) markRuns(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		a.markRuns(c)
	}
	if run := cmd.Run; run != nil {
		cmd.Run = func(c *cobra.Command, args []string) { a.started = true; run(c, args) }
	}
	if runE := cmd.RunE; runE != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error { a.started = true; return runE(c, args) }
	}
}

// strictCompletion makes `herald completion SHELL` for a shell cobra has no
// script for (tcsh, ...) a usage error rather than a help screen with
// status 0.
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			shells := make([]string, 0, len(cmd.Commands()))
			for _, sub := range cmd.Commands() {
				shells = append(shells, sub.Name())
			}
			return usageErrorf("completion: no script for the shell %q (shells: %s)", args[0], strings.Join(shells, ", "))
		}
	}
}

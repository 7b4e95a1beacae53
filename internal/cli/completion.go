package cli

import (
	"context"
	"slices"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

// Dynamic shell completion (herald completion bash|zsh|fish|powershell): the
// values of --format, --state, --by and --network, the configuration's
// account ids (--account, accounts check|resume) and source names (--source,
// --section, --exclude-section, feeds check), and the ids of the jobs
// queue retry and queue cancel can act on, read from the database.

// completeFlags gives every flag of cmd and its subcommands that names
// something its completion.
func (a *App) completeFlags(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		a.completeFlags(c)
	}
	cmd.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
		if fn := a.flagCompletion(f); fn != nil {
			_ = cmd.RegisterFlagCompletionFunc(f.Name, fn)
		}
	})
	switch cmd.CommandPath() {
	case "herald accounts check", "herald accounts resume":
		cmd.ValidArgsFunction = a.completeAccounts
	case "herald feeds check":
		cmd.ValidArgsFunction = a.completeSources
	case "herald queue retry":
		cmd.ValidArgsFunction = a.completeJobs(herald.JobFailed, herald.JobSkipped)
	case "herald queue cancel":
		cmd.ValidArgsFunction = a.completeJobs(herald.JobPending)
	}
}

type completeFunc = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective)

func (a *App) flagCompletion(f *pflag.Flag) completeFunc {
	switch f.Name {
	case "format":
		if f.DefValue == "text" {
			return fixed("text", "json")
		}
		return fixed(outputFormats...)
	case "state":
		states := make([]string, len(herald.JobStates))
		for i, s := range herald.JobStates {
			states[i] = string(s)
		}
		return fixed(states...)
	case "by":
		return fixed(rank.Rankings...)
	case "network":
		nets := []string{"x"}
		for _, n := range rank.Networks {
			nets = append(nets, string(n))
		}
		return fixed(nets...)
	case "account":
		return a.completeAccounts
	case "source", "section", "exclude-section":
		return a.completeSources
	}
	return nil
}

// fixed completes one of values.
func fixed(values ...string) completeFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeAccounts completes the configuration's account ids, each with its network.
func (a *App) completeAccounts(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cfg, err := a.Config()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, id := range accountIDs(cfg) {
		if !slices.Contains(args, id) {
			out = append(out, cobra.CompletionWithDesc(id, cfg.Accounts[id].Network))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeSources completes the configuration's source names.
func (a *App) completeSources(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cfg, err := a.Config()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	out := make([]cobra.Completion, 0, len(cfg.Sources))
	for _, s := range cfg.Sources {
		out = append(out, s.Name)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeJobs completes the ids of the jobs in states (the newest first),
// each with its account and title, from the database when it exists.
func (a *App) completeJobs(states ...herald.JobState) completeFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		st, err := a.OpenStoreToRead(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer st.Close()
		jobs, err := st.ListJobs(ctx, herald.JobFilter{States: states, Limit: 100})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out := make([]cobra.Completion, 0, len(jobs))
		for _, j := range jobs {
			desc := j.Account
			if j.Article != nil {
				desc += ": " + cleanCell(j.Article.Title)
			}
			out = append(out, cobra.CompletionWithDesc(strconv.FormatInt(j.ID, 10), desc))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/evergreen"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

// topFlags are repost --top's selection flags; empty means the evergreen
// key of the configuration.
type topFlags struct {
	n                         int
	since, by, minAge, minGap string
	exclude                   []string
}

func addTopFlags(cmd *cobra.Command, f *topFlags) {
	fl := cmd.Flags()
	fl.IntVar(&f.n, "top", 0, "reshare the N best performers instead of one article")
	fl.StringVar(&f.since, "since", "", "with --top: stories published within this window, like 30d or 2w (default: evergreen.since, 30d)")
	fl.StringVar(&f.by, "by", "", "with --top: rank by "+strings.Join(rank.Rankings, ", ")+" (default: evergreen.by, score)")
	fl.StringVar(&f.minAge, "min-age", "", "with --top: skip stories published or posted more recently, like 3d (default: evergreen.min_age, 3d)")
	fl.StringVar(&f.minGap, "min-gap", "", "with --top: skip stories reshared more recently, like 30d (default: evergreen.min_gap, 30d)")
	fl.StringSliceVar(&f.exclude, "exclude-section", nil, "with --top: never reshare from this section (repeat; added to evergreen.exclude_sections)")
}

// changed reports whether any selection flag was given.
func (f topFlags) changed() bool {
	return f.since != "" || f.by != "" || f.minAge != "" || f.minGap != "" || len(f.exclude) > 0
}

// evergreenCriteria is the evergreen selection as configured: the
// evergreen keys, the time-bound sources and the ranking weights.
func evergreenCriteria(cfg *config.Config) evergreen.Criteria { return app.EvergreenCriteria(cfg) }

// criteria is the configured selection with the flags given applied.
func (f topFlags) criteria(cfg *config.Config) (evergreen.Criteria, error) {
	c := evergreenCriteria(cfg)
	c.Count = f.n
	for _, d := range []struct {
		flag, val string
		dst       *time.Duration
		zeroOK    bool
	}{{"since", f.since, &c.Since, false}, {"min-age", f.minAge, &c.MinAge, true}, {"min-gap", f.minGap, &c.MinGap, true}} {
		switch {
		case d.val == "":
		case d.zeroOK && d.val == "0":
			*d.dst = 0
		default:
			v, err := rank.ParseSince(d.val)
			if err != nil {
				return c, usageErrorf("--%s: %v (got %q)", d.flag, err, d.val)
			}
			*d.dst = v
		}
	}
	if f.by != "" {
		if !slices.Contains(rank.Rankings, f.by) {
			return c, usageErrorf("--by: must be one of %s (got %q)", strings.Join(rank.Rankings, ", "), f.by)
		}
		c.By = f.by
	}
	c.ExcludeSections = append(c.ExcludeSections, f.exclude...)
	if err := c.Check(); err != nil {
		return c, usageError(err)
	}
	return c, nil
}

// newEvergreenScheduler returns the daemon's evergreen schedule
// (evergreen.schedule), or nil when it is off; a nil *evergreen.Scheduler's
// Run returns at once. created is told when a tick created jobs (the
// dispatcher's Wake).
func newEvergreenScheduler(cfg *config.Config, st herald.Store, created func(), logger *slog.Logger) (*evergreen.Scheduler, error) {
	s, err := app.NewEvergreen(cfg, st, created, nil, logger)
	return s, fromApp(err)
}

// pickRow is a story repost --top picked, as shown before confirming.
type pickRow struct {
	Rank      int       `json:"rank"`
	Title     string    `json:"title"`
	Value     float64   `json:"value"`
	Published time.Time `json:"published_at"`
	Accounts  []string  `json:"accounts"`
}

// repostTop reshares the best performers.
func (a *App) repostTop(ctx context.Context, f repostFlags) error {
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	crit, err := f.top.criteria(cfg)
	if err != nil {
		return err
	}
	now := a.now()
	due, err := repostStart(cfg, &f, now)
	if err != nil {
		return err
	}
	return a.withStore(ctx, func(st herald.Store) error { return a.repostBest(ctx, cfg, st, crit, f, due, now) })
}

// repostBest reshares the stories crit picks, due at due.
func (a *App) repostBest(ctx context.Context, cfg *config.Config, st herald.Store, crit evergreen.Criteria, f repostFlags,
	due, now time.Time) error {
	if err := knownSections(ctx, st, f.top.exclude); err != nil {
		return err
	}
	sel, err := evergreen.Select(ctx, st, crit, accountIDs(cfg), now)
	if err != nil {
		return err
	}
	for _, k := range sel.Skipped {
		fmt.Fprintf(a.Err(), "Skipped %q: %s.\n", cleanCell(k.Title), k.Reason)
	}
	if len(f.accounts) > 0 {
		for i := range sel.Picks {
			sel.Picks[i].Accounts = f.accounts
		}
	}
	if len(sel.Picks) == 0 {
		return writeRows(a, f.format, "reposts", []repostRow{}, repostColumns(now),
			fmt.Sprintf("No story published in the last %s is eligible for resharing.", evergreen.Ago(crit.Since)))
	}
	if f.dryRun {
		arts, targets := make([]herald.Article, len(sel.Picks)), make([][]string, len(sel.Picks))
		for i, p := range sel.Picks {
			arts[i], targets[i] = p.Article, p.Accounts
		}
		return a.printDryRun(cfg, arts, targets, f)
	}
	if err := a.confirmPicks(sel.Picks, crit.By, f.yes); err != nil {
		return err
	}
	total := 0
	for _, p := range sel.Picks {
		total += len(p.Accounts)
	}
	bar := a.newProgress(total, "Creating jobs")
	jobs, err := evergreen.Reshare(ctx, st, sel.Picks, herald.NewJob{Template: f.template, DueAt: due}, now,
		func(herald.Job) { bar.Add(1) })
	bar.Finish()
	if err != nil && len(jobs) == 0 {
		return err
	}
	return errors.Join(err, a.deliverAndPrint(ctx, cfg, st, jobs, f))
}

// confirmPicks shows the stories picked and asks before resharing them,
// on a terminal; elsewhere it needs yes.
func (a *App) confirmPicks(picks []evergreen.Pick, by string, yes bool) error {
	accounts := map[string]bool{}
	rows := make([]pickRow, len(picks))
	for i, p := range picks {
		for _, id := range p.Accounts {
			accounts[id] = true
		}
		rows[i] = pickRow{Rank: p.Row.Rank, Title: p.Article.Title, Value: p.Row.Metric(by),
			Published: p.Article.PublishedAt, Accounts: p.Accounts}
	}
	if !yes && a.canPrompt() {
		// The list goes where the question does, so stdout keeps the result.
		onErr := *a
		onErr.stdout = a.stderr
		now := a.now()
		if err := writeRows(&onErr, "table", "", rows, pickColumns(by, now), ""); err != nil {
			return err
		}
	}
	return a.confirm(fmt.Sprintf("Repost %s to %s?", plural(len(picks), "story", "stories"),
		plural(len(accounts), "account", "accounts")), yes)
}

func pickColumns(by string, now time.Time) []column[pickRow] {
	return []column[pickRow]{
		{head: "RANK", right: true, cell: func(r pickRow) string { return strconv.Itoa(r.Rank) }},
		{head: "STORY", flex: true, cell: func(r pickRow) string { return r.Title }},
		{head: strings.ToUpper(by), right: true, cell: func(r pickRow) string { return strconv.FormatFloat(r.Value, 'f', -1, 64) }},
		{head: "PUBLISHED", cell: func(r pickRow) string { return ago(r.Published, now) }},
		{head: "ACCOUNTS", cell: func(r pickRow) string { return strings.Join(r.Accounts, ", ") }},
	}
}

// plural writes "1 story" or "3 stories".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// knownSections fails (not found, exit 1) naming the sources when a section
// given to --exclude-section is not one of them.
func knownSections(ctx context.Context, st herald.Store, sections []string) error {
	if len(sections) == 0 {
		return nil
	}
	srcs, err := st.ListSources(ctx)
	if err != nil {
		return fmt.Errorf("list sources: %w", err)
	}
	names := make([]string, 0, len(srcs))
	for _, s := range srcs {
		names = append(names, s.Name)
	}
	for _, s := range sections {
		if !slices.Contains(names, s) {
			return notFoundErrorf("--exclude-section: no source is named %q (sources: %s)", s, strings.Join(names, ", "))
		}
	}
	return nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
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

type repostFlags struct {
	accounts       []string
	at, in         string
	template, text string
	dryRun, yes    bool
	queue          bool
	format         string
	top            topFlags
}

func newRepostCmd(a *App) *cobra.Command {
	var f repostFlags
	cmd := &cobra.Command{
		Use:   "repost (ARTICLE | --top N)",
		Short: "Share a story again now or later, or reshare the best performers (--top)",
		Long: `Create repost jobs for a story: ARTICLE is its ID (herald articles) or its
URL. A URL Herald does not know is read from the page (og:title or <title>,
and the canonical link) and recorded. The post uses each account's
repost_template (default "ICYMI: {{.Title}} {{.URL}}"; on Facebook
"ICYMI: {{.Title}}" with the link attached), or --template, or
--text written by hand; X refuses the same text twice, and a repost it still
calls a duplicate is skipped with X's message, never retried.

The story goes to the accounts named with --account, else to those that
posted it before, else to every account. The jobs are due now, or at --at,
or after --in.

With --top N the best performers of the rankings are reshared instead (the
evergreen selection, the same the daemon runs on evergreen.schedule): stories
published within --since, ranked --by, at least --min-age old, not posted
within --min-age nor reshared within evergreen.min_gap, from no section
excluded with --exclude-section or configured time_bound: true. Defaults
come from the evergreen keys of the configuration. It asks for confirmation
on a terminal; elsewhere it needs --yes.

When a daemon answers on http.addr (GET /healthz), the jobs are left to it,
so spacing, daily caps and budgets hold, and their IDs are printed. When none
does, the jobs due now are sent at once by this command, with the same
rules, and the permalinks printed; jobs due later wait for 'herald run'.
--queue always leaves them to a daemon (for instances on other machines).
The exit status is 1 when a repost this command sent was skipped or failed.`,
		Example: `  herald repost 1234
  herald repost https://example.com/news/storm --account x_main --in 2h
  herald repost https://example.com/news/storm --text "Still developing: the storm, hour by hour"
  herald repost 1234 --dry-run
  herald repost --top 5 --since 30d --by score --exclude-section weather
  herald repost --top 3 --yes --format json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(args); err != nil {
				return err
			}
			if f.top.n > 0 {
				return a.repostTop(cmd.Context(), f)
			}
			return a.repostOne(cmd.Context(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.accounts, "account", nil, "only this account (repeat or comma-separate; default: those that posted it, else all)")
	fl.StringVar(&f.at, "at", "", "when to post: 2026-03-10T15:04:05Z, '2026-03-10 15:04' or 15:04 (local time)")
	fl.StringVar(&f.in, "in", "", "post after this long: 30m, 2h, 1d")
	fl.StringVar(&f.template, "template", "", "a template instead of the accounts' repost_template (Go text/template)")
	fl.StringVar(&f.text, "text", "", "the post's text written by hand (the link is added on X)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the text each account would send; create nothing")
	fl.BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation (--top)")
	fl.BoolVar(&f.queue, "queue", false, "never send from this command: leave the jobs to a daemon")
	addFormatFlag(cmd, &f.format)
	addTopFlags(cmd, &f.top)
	return cmd
}

// check checks the flags before anything is opened.
func (f *repostFlags) check(args []string) error {
	if err := checkFormat(f.format); err != nil {
		return err
	}
	switch {
	case f.top.n < 0:
		return usageErrorf("--top: must be at least 1 (got %d)", f.top.n)
	case f.top.n > 0 && len(args) > 0:
		return usageErrorf("--top: give either an article or --top, not both")
	case f.top.n == 0 && len(args) == 0:
		return usageErrorf("an article (its ID or URL) or --top N is required")
	case f.top.n == 0 && f.top.changed():
		return usageErrorf("--since, --by, --min-age, --min-gap and --exclude-section go with --top")
	case f.top.n > 0 && f.text != "":
		return usageErrorf("--text: one text cannot fit several stories; use --template with --top")
	case f.text != "" && f.template != "":
		return usageErrorf("--text: a text written by hand uses no template (drop --template)")
	case f.at != "" && f.in != "":
		return usageErrorf("--at: give either --at or --in, not both")
	}
	return nil
}

// repostRow is one repost job as repost prints it.
type repostRow struct {
	JobID      int64      `json:"job_id"` // 0 in a dry run
	ArticleID  int64      `json:"article_id"`
	Title      string     `json:"title"`
	Account    string     `json:"account"`
	Seq        int        `json:"seq"`
	State      string     `json:"state"` // pending, sent, skipped, failed; "dry-run"
	SkipReason string     `json:"skip_reason"`
	Error      string     `json:"error"` // the network's message
	DueAt      *time.Time `json:"due_at"`
	SentAt     *time.Time `json:"sent_at"`
	Permalink  string     `json:"permalink"`
	Text       string     `json:"text"` // as sent (dry run: as it would be)
}

func newRepostRow(j herald.Job) repostRow {
	r := repostRow{JobID: j.ID, ArticleID: j.ArticleID, Account: j.Account, Seq: j.Seq, State: string(j.State),
		SkipReason: j.SkipReason, Error: j.LastError, SentAt: utcPtr(j.SentAt), Permalink: j.Permalink, Text: j.SentText}
	if j.Article != nil {
		r.Title = j.Article.Title
	}
	if j.State == herald.JobPending {
		r.DueAt = utcPtr(j.NextAttemptAt)
	}
	if j.State == herald.JobSent {
		r.Error = ""
	}
	return r
}

func repostColumns(now time.Time) []column[repostRow] {
	return []column[repostRow]{
		{head: "ACCOUNT", cell: func(r repostRow) string { return r.Account }},
		{head: "JOB", right: true, cell: func(r repostRow) string {
			if r.JobID == 0 {
				return "-"
			}
			return strconv.FormatInt(r.JobID, 10)
		}},
		{head: "STATE", cell: func(r repostRow) string {
			if r.SkipReason != "" {
				return r.State + ": " + r.SkipReason
			}
			return r.State
		}, color: func(r repostRow) string {
			return map[string]string{"sent": "32", "skipped": "33", "failed": "31", "pending": "2"}[r.State]
		}},
		{head: "STORY", flex: true, cell: func(r repostRow) string { return r.Title }},
		{head: "DETAIL", flex: true, cell: func(r repostRow) string {
			switch {
			case r.State == "dry-run" || r.State == "would fail":
				return dash(r.Text + r.Error)
			case r.Permalink != "":
				return r.Permalink
			case r.Error != "":
				return r.Error
			case r.DueAt != nil && r.DueAt.After(now):
				return "due " + when(r.DueAt, now)
			case r.DueAt != nil:
				return "due now"
			}
			return "-"
		}},
	}
}

// repostOne reposts one article.
func (a *App) repostOne(ctx context.Context, arg string, f repostFlags) error {
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	now := a.now()
	due, err := repostStart(cfg, &f, now)
	if err != nil {
		return err
	}
	return a.withStore(ctx, func(st herald.Store) error { return a.repostArticle(ctx, cfg, st, arg, f, due) })
}

// repostArticle reposts the article arg names, due at due.
func (a *App) repostArticle(ctx context.Context, cfg *config.Config, st herald.Store, arg string, f repostFlags, due time.Time) error {
	art, err := a.findArticle(ctx, st, cfg, arg, !f.dryRun)
	if err != nil {
		return err
	}
	targets, err := repostTargets(ctx, st, cfg, art.ID, f.accounts)
	if err != nil {
		return err
	}
	if f.dryRun {
		return a.printDryRun(cfg, []herald.Article{art}, [][]string{targets}, f)
	}
	var jobs []herald.Job
	for _, id := range targets {
		j, err := st.CreateJob(ctx, herald.NewJob{ArticleID: art.ID, Account: id, Kind: herald.KindRepost,
			Template: f.template, Text: f.text, DueAt: due}, a.now())
		if err != nil {
			return fmt.Errorf("create repost for %s: %w", id, err)
		}
		jobs = append(jobs, j)
	}
	return a.deliverAndPrint(ctx, cfg, st, jobs, f)
}

// repostStart checks the accounts --account names (keeping each once) and
// reads when the reposts are due (--at, --in; now by default).
func repostStart(cfg *config.Config, f *repostFlags, now time.Time) (due time.Time, err error) {
	if len(f.accounts) > 0 {
		if f.accounts, err = pickAccounts(cfg, f.accounts, "--account"); err != nil {
			return time.Time{}, err
		}
	}
	return parseDue(f.at, f.in, now)
}

// repostTargets returns the accounts named (checked), else those that
// posted the article before, else every account.
func repostTargets(ctx context.Context, st herald.Store, cfg *config.Config, articleID int64, named []string) ([]string, error) {
	if len(named) > 0 {
		return pickAccounts(cfg, named, "--account")
	}
	all := accountIDs(cfg)
	if len(all) == 0 {
		return nil, usageErrorf("no accounts are configured (accounts: in the configuration)")
	}
	jobs, err := st.ListJobs(ctx, herald.JobFilter{ArticleID: articleID})
	if err != nil {
		return nil, fmt.Errorf("jobs of article %d: %w", articleID, err)
	}
	return evergreen.Targets(jobs, all), nil
}

// findArticle returns the article arg names: an article ID, or a URL.
// An unknown URL's page is read (og:title or <title>, canonical link) and,
// when record is set, the article recorded on the push-only source
// "adhoc", not announced (no automatic post).
func (a *App) findArticle(ctx context.Context, st herald.Store, cfg *config.Config, arg string, record bool) (herald.Article, error) {
	if _, err := strconv.ParseInt(arg, 10, 64); err == nil {
		return knownArticle(ctx, st, arg)
	}
	art, known, err := lookupArticle(ctx, st, cfg, arg)
	if err != nil || known {
		return art, err
	}
	// The page's canonical link may be an article Herald knows.
	if found, err := st.FindArticle(ctx, art.URL); err == nil {
		return found, nil
	} else if !errors.Is(err, herald.ErrNotFound) {
		return art, fmt.Errorf("find article: %w", err)
	}
	if !record {
		return art, nil
	}
	src, err := st.PushSource(ctx, adhocSource)
	if err != nil {
		return art, fmt.Errorf("record article: %w", err)
	}
	res, err := st.SaveArticles(ctx, src.ID, []herald.ArticleInput{{URL: art.URL, Title: art.Title, Summary: art.Summary,
		Author: art.Author, ImageURL: art.ImageURL, Categories: art.Categories, PublishedAt: art.PublishedAt}}, a.now())
	if err != nil || len(res) != 1 {
		return art, fmt.Errorf("record article: %w", errors.Join(err, errors.New("nothing saved")))
	}
	fmt.Fprintf(a.Err(), "Recorded %s as article %d (source %s).\n", res[0].Article.URL, res[0].Article.ID, adhocSource)
	return res[0].Article, nil
}

// parseDue reads --at or --in; zero (now) when neither is given.
func parseDue(at, in string, now time.Time) (time.Time, error) {
	switch {
	case in != "":
		d, err := rank.ParseSince(in)
		if err != nil {
			return time.Time{}, usageErrorf("--in: %v (got %q)", err, in)
		}
		return now.Add(d), nil
	case at == "":
		return time.Time{}, nil
	}
	local := now.In(time.Local)
	if t, err := time.Parse(time.RFC3339, at); err == nil {
		return checkFuture(t, now, at)
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, at, time.Local); err == nil {
			return checkFuture(t, now, at)
		}
	}
	if c, err := time.ParseInLocation("15:04", at, time.Local); err == nil {
		t := time.Date(local.Year(), local.Month(), local.Day(), c.Hour(), c.Minute(), 0, 0, time.Local)
		if !t.After(now) {
			t = t.AddDate(0, 0, 1) // the next time the clock says so
		}
		return t, nil
	}
	return time.Time{}, usageErrorf("--at: want a time like 2026-03-10T15:04:05Z, '2026-03-10 15:04' or 15:04 (got %q)", at)
}

func checkFuture(t, now time.Time, raw string) (time.Time, error) {
	if t.Before(now.Add(-time.Minute)) {
		return time.Time{}, usageErrorf("--at: %s is in the past", raw)
	}
	return t, nil
}

// printDryRun prints each account's text for each article; nothing is created.
func (a *App) printDryRun(cfg *config.Config, arts []herald.Article, targets [][]string, f repostFlags) error {
	var rows []repostRow
	failed := 0
	for i, art := range arts {
		for _, id := range targets[i] {
			p := previewOne(cfg, id, art, previewFlags{text: f.text, template: f.template, repost: f.text == ""})
			r := repostRow{ArticleID: art.ID, Title: art.Title, Account: id, State: "dry-run", Text: p.Text}
			if p.Error != "" {
				r.State, r.Text, r.Error = "would fail", "", p.Error
				failed++
			}
			rows = append(rows, r)
		}
	}
	if err := writeRows(a, f.format, "reposts", rows, repostColumns(a.now()), ""); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d reposts could not be composed", failed, len(rows))
	}
	return nil
}

// deliverAndPrint sends or queues the jobs (see deliver) and prints them.
func (a *App) deliverAndPrint(ctx context.Context, cfg *config.Config, st herald.Store, jobs []herald.Job, f repostFlags) error {
	jobs, sent, err := a.deliver(ctx, cfg, st, jobs, f.queue)
	rows := make([]repostRow, 0, len(jobs))
	for _, j := range jobs {
		rows = append(rows, newRepostRow(j))
	}
	if werr := writeRows(a, f.format, "reposts", rows, repostColumns(a.now()), ""); werr != nil {
		return errors.Join(err, werr)
	}
	if err != nil || !sent {
		return err
	}
	bad := 0
	for _, j := range jobs {
		if j.State == herald.JobSkipped || j.State == herald.JobFailed {
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d reposts were not sent (see above)", bad, len(jobs))
	}
	return nil
}

// deliver leaves jobs to a running daemon, or, when none answers on
// http.addr (and not queueOnly), sends those due now itself, as the daemon
// would: spacing, caps and budgets hold, so some may still wait. It returns
// the jobs as they now stand and whether this command tried to send.
func (a *App) deliver(ctx context.Context, cfg *config.Config, st herald.Store, jobs []herald.Job, queueOnly bool) ([]herald.Job, bool, error) {
	if len(jobs) == 0 {
		return jobs, false, nil
	}
	if queueOnly {
		fmt.Fprintln(a.Err(), "Queued: a running daemon (herald run) sends the jobs, spaced as usual.")
		return jobs, false, nil
	}
	probe := probeDaemon(ctx, cfg.HTTP.Addr, daemonProbeTimeout)
	if probe.Running {
		fmt.Fprintf(a.Err(), "The daemon at %s sends the jobs, spaced as usual.\n", strings.TrimSuffix(probe.URL, "/healthz"))
		return jobs, false, nil
	}
	now := a.now()
	var accounts []string
	for _, j := range jobs {
		if !j.NextAttemptAt.After(now) && !slices.Contains(accounts, j.Account) {
			accounts = append(accounts, j.Account)
		}
	}
	if len(accounts) == 0 {
		fmt.Fprintf(a.Err(), "No daemon answers at %s: the jobs wait for herald run.\n", probe.URL)
		return jobs, false, nil
	}
	fmt.Fprintf(a.Err(), "No daemon answers at %s: sending the jobs due now.\n", probe.URL)
	err := a.sendNow(ctx, cfg, st, accounts, jobs)
	waiting := 0
	for i, j := range jobs {
		cur, gerr := st.GetJob(ctx, j.ID)
		if gerr != nil {
			return jobs, true, errors.Join(err, fmt.Errorf("get job %d: %w", j.ID, gerr))
		}
		jobs[i] = cur
		if !cur.State.Terminal() {
			waiting++
		}
	}
	switch {
	case waiting == 1:
		fmt.Fprintln(a.Err(), "1 job waits (spacing, daily cap, quiet hours or a hold): herald run sends it.")
	case waiting > 1:
		fmt.Fprintf(a.Err(), "%d jobs wait (spacing, daily cap, quiet hours or a hold): herald run sends them.\n", waiting)
	}
	return jobs, true, err
}

// sendNow runs the dispatcher of accounts once: every job of theirs due now
// is sent (these jobs, and any other waiting), in queue order.
func (a *App) sendNow(ctx context.Context, cfg *config.Config, st herald.Store, accounts []string, jobs []herald.Job) error {
	logger := a.Logger()
	sb, err := startSandbox(cfg, logger)
	if err != nil {
		return err
	}
	defer sb.Close()
	sub := *cfg
	sub.Accounts = make(map[string]config.Account, len(accounts))
	for _, id := range accounts {
		sub.Accounts[id] = cfg.Accounts[id]
	}
	pubs, err := buildPublishers(ctx, &sub, st, logger)
	if err != nil {
		return err
	}
	// The command's clock (tests move it).
	d, err := app.NewDispatcher(cfg, st, pubs, app.SenderOptions{Accounts: accounts, Now: a.now}, logger)
	if err != nil {
		return fromApp(err)
	}
	bar := a.newProgress(len(jobs), "Sending")
	stop := watchJobs(ctx, st, jobs, bar)
	_, err = app.SendNow(ctx, d)
	stop()
	bar.Finish()
	return err
}

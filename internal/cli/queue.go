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

	"github.com/heraldhq/herald/internal/herald"
)

// queueRow is one post job as `herald queue` shows it.
type queueRow struct {
	ID            int64      `json:"id"`
	ArticleID     int64      `json:"article_id"`
	Title         string     `json:"title"`
	URL           string     `json:"url"`
	Account       string     `json:"account"`
	Network       string     `json:"network"`
	Kind          string     `json:"kind"` // post, repost, adhoc
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	ScheduledAt   *time.Time `json:"scheduled_at"`
	NextAttemptAt *time.Time `json:"next_attempt_at"` // pending jobs only
	ErrorKind     string     `json:"error_kind"`
	Error         string     `json:"error"`
	SkipReason    string     `json:"skip_reason"`
	Permalink     string     `json:"permalink"`
	SentAt        *time.Time `json:"sent_at"`
	CreatedAt     *time.Time `json:"created_at"`
}

func newQueueCmd(a *App) *cobra.Command {
	var (
		states          []string
		account, format string
		limit           int
	)
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Show the post jobs: state, attempts, next attempt, error or skip reason, permalink",
		Long: `Show the outbox, newest job first: each post job's article, account, state
(held for review, pending, sending, sent, skipped or failed), attempts, when
it is tried next, the network's error or the reason it was skipped, and the
permalink of what was sent. 'herald queue retry' and 'herald queue cancel'
change a job; 'herald queue approve' and 'herald queue reject' decide on a
post held for review.`,
		Example: "  herald queue\n  herald queue --state failed,skipped --account x_main\n" +
			"  herald queue --state pending --format json\n  herald queue retry 42\n  herald queue cancel 43\n" +
			"  herald queue --state held\n  herald queue approve 44",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			f := herald.JobFilter{Account: account, Limit: limit}
			for _, s := range states {
				st := herald.JobState(strings.TrimSpace(s))
				if !slices.Contains(herald.JobStates, st) {
					return usageErrorf("--state: must be one of %s, not %q", stateNames(), s)
				}
				f.States = append(f.States, st)
			}
			if limit < 0 {
				return usageErrorf("--limit: must be 0 (no limit) or more, not %d", limit)
			}
			return a.listQueue(cmd.Context(), f, format)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&states, "state", nil, "only jobs in these states: "+stateNames()+" (comma-separated)")
	fl.StringVar(&account, "account", "", "only this account's jobs")
	fl.IntVar(&limit, "limit", 50, "at most this many jobs (0: all)")
	addFormatFlag(cmd, &format)
	cmd.AddCommand(newQueueRetryCmd(a), newQueueCancelCmd(a), newQueueApproveCmd(a), newQueueRejectCmd(a))
	return cmd
}

func (a *App) listQueue(ctx context.Context, f herald.JobFilter, format string) error {
	st, err := a.OpenStoreToRead(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if f.Account != "" {
		if _, err := st.GetAccount(ctx, f.Account); errors.Is(err, herald.ErrNotFound) {
			cfg, _ := a.Config()
			return notFoundErrorf("--account: no account is named %q (accounts: %s)", f.Account, strings.Join(accountIDs(cfg), ", "))
		}
	}
	jobs, err := st.ListJobs(ctx, f)
	if err != nil {
		return fmt.Errorf("list jobs: %w", err)
	}
	rows := make([]queueRow, 0, len(jobs))
	for _, j := range jobs {
		rows = append(rows, newQueueRow(j))
	}
	empty := "No jobs match."
	if len(f.States) == 0 && f.Account == "" {
		empty = "The queue is empty: no post jobs yet."
	}
	return writeRows(a, format, "jobs", rows, queueColumns(a.now()), empty)
}

func newQueueRow(j herald.Job) queueRow {
	r := queueRow{ID: j.ID, ArticleID: j.ArticleID, Account: j.Account, Network: string(j.Network), Kind: j.Kind,
		State: string(j.State), Attempts: j.Attempts, ScheduledAt: utcPtr(j.ScheduledAt), ErrorKind: string(j.ErrorKind),
		Error: j.LastError, SkipReason: j.SkipReason, Permalink: j.Permalink, SentAt: utcPtr(j.SentAt),
		CreatedAt: utcPtr(j.CreatedAt)}
	if j.Article != nil {
		r.Title, r.URL = j.Article.Title, j.Article.URL
	}
	if j.State == herald.JobPending {
		r.NextAttemptAt = utcPtr(j.NextAttemptAt)
	}
	if j.State == herald.JobSent {
		r.Error, r.ErrorKind = "", "" // an error before the success is history
	}
	return r
}

func queueColumns(now time.Time) []column[queueRow] {
	stateColor := map[string]string{"sent": "32", "failed": "31", "skipped": "2", "sending": "33"}
	return []column[queueRow]{
		{head: "ID", right: true, cell: func(r queueRow) string { return strconv.FormatInt(r.ID, 10) }},
		{head: "STATE", cell: func(r queueRow) string { return r.State }, color: func(r queueRow) string { return stateColor[r.State] }},
		{head: "ACCOUNT", cell: func(r queueRow) string { return r.Account }},
		{head: "TRIES", right: true, cell: func(r queueRow) string { return strconv.Itoa(r.Attempts) }},
		{head: "NEXT ATTEMPT", cell: func(r queueRow) string {
			if r.NextAttemptAt != nil && !r.NextAttemptAt.After(now) {
				return "due"
			}
			return when(r.NextAttemptAt, now)
		}},
		{head: "KIND", cell: func(r queueRow) string { return r.Kind }},
		{head: "TITLE", flex: true, cell: func(r queueRow) string { return r.Title }},
		{head: "ERROR / REASON", flex: true, cell: func(r queueRow) string {
			if r.SkipReason != "" {
				return r.SkipReason
			}
			return dash(r.Error)
		}, color: func(r queueRow) string { return iff(r.Error != "" && r.State != "skipped", "31") }},
		{head: "PERMALINK", cell: func(r queueRow) string { return dash(r.Permalink) }},
	}
}

// parseJobID reads a job ID argument (a usage error otherwise).
func parseJobID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErrorf("JOB: must be a job ID (a positive number, see herald queue), not %q", s)
	}
	return id, nil
}

// getJob returns job id, or an error saying it does not exist (exit 1).
func getJob(ctx context.Context, st herald.Store, id int64) (herald.Job, error) {
	j, err := st.GetJob(ctx, id)
	if errors.Is(err, herald.ErrNotFound) {
		return j, fmt.Errorf("job %d does not exist (see herald queue)", id)
	}
	if err != nil {
		return j, fmt.Errorf("get job: %w", err)
	}
	return j, nil
}

// withJob opens the store and hands do the job arg names (a job ID).
func (a *App) withJob(ctx context.Context, arg string, do func(herald.Store, herald.Job) error) error {
	id, err := parseJobID(arg)
	if err != nil {
		return err
	}
	return a.withStore(ctx, func(st herald.Store) error {
		j, err := getJob(ctx, st, id)
		if err != nil {
			return err
		}
		return do(st, j)
	})
}

// describe names a job for a message: "job 42 (x_main: Storm hits the coast)".
func describe(j herald.Job) string {
	title := ""
	if j.Article != nil {
		title = ": " + cutText(cleanCell(j.Article.Title), 60)
	}
	return fmt.Sprintf("job %d (%s%s)", j.ID, j.Account, title)
}

func newQueueRetryCmd(a *App) *cobra.Command {
	var failed, yes bool
	var flood string
	cmd := &cobra.Command{
		Use:   "retry JOB | --failed | --flood SOURCE",
		Short: "Put a failed or skipped job (or every failed job) back in the queue, due now",
		Long: `Put a failed or skipped job back to pending, due now, with its attempts
reset: the dispatcher (herald run) sends it with the account's usual spacing.
--failed does so for every failed job: it asks for confirmation on a
terminal; elsewhere it needs --yes. --flood SOURCE releases the posts of the
stories one poll or push of SOURCE brought beyond publish.max_new_per_poll
(skipped, reason flood). A job that is pending, sending or sent cannot be
retried.`,
		Example: "  herald queue retry 42\n  herald queue retry --failed --yes\n  herald queue retry --flood world",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			given := len(args)
			for _, set := range []bool{failed, cmd.Flags().Changed("flood")} {
				if set {
					given++
				}
			}
			switch {
			case given > 1:
				return usageErrorf("give a JOB, --failed or --flood SOURCE: not both")
			case given == 0:
				return usageErrorf("give the JOB to retry, --failed for every failed job, or --flood SOURCE")
			case cmd.Flags().Changed("flood") && flood == "":
				return usageErrorf("--flood: give the source whose flood to release")
			}
			ctx := cmd.Context()
			switch {
			case flood != "":
				return a.retryFlood(ctx, flood)
			case failed:
				return a.withStore(ctx, func(st herald.Store) error { return a.retryFailed(ctx, st, yes) })
			}
			return a.withJob(ctx, args[0], func(st herald.Store, j herald.Job) error {
				if j.State != herald.JobFailed && j.State != herald.JobSkipped {
					return fmt.Errorf("%s is %s: only a failed or skipped job can be retried", describe(j), j.State)
				}
				// A job scheduled for later (repost --at) keeps its time.
				due, when := a.now(), "due now"
				if j.ScheduledAt.After(due) {
					due, when = j.ScheduledAt, "due "+j.ScheduledAt.UTC().Format(time.RFC3339)+" as scheduled"
				}
				if err := st.RetryJob(ctx, j.ID, due); err != nil {
					return fmt.Errorf("retry job: %w", err)
				}
				_, err := fmt.Fprintf(a.Out(), "Retrying %s: pending again, %s.\n", describe(j), when)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&failed, "failed", false, "retry every failed job")
	cmd.Flags().StringVar(&flood, "flood", "", "release the posts publish.max_new_per_poll left skipped for `SOURCE`")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// retryFlood puts the posts the flood limit skipped for source back to pending.
func (a *App) retryFlood(ctx context.Context, source string) error {
	return a.withStore(ctx, func(st herald.Store) error { return a.releaseFlood(ctx, st, source) })
}

func (a *App) releaseFlood(ctx context.Context, st herald.Store, source string) error {
	if _, err := st.GetSource(ctx, source); errors.Is(err, herald.ErrNotFound) {
		return usageErrorf("--flood: no source is named %q (see herald sources)", source)
	} else if err != nil {
		return fmt.Errorf("get source: %w", err)
	}
	n, err := st.RetryFlood(ctx, source, a.now())
	if err != nil {
		return fmt.Errorf("retry flood: %w", err)
	}
	if n == 0 {
		_, err = fmt.Fprintf(a.Out(), "No posts of %s skipped by the flood limit: nothing to release.\n", source)
		return err
	}
	_, err = fmt.Fprintf(a.Out(), "Released %d posts of %s skipped by the flood limit: pending again, due now.\n", n, source)
	return err
}

func (a *App) retryFailed(ctx context.Context, st herald.Store, yes bool) error {
	counts, err := st.CountJobs(ctx, "")
	if err != nil {
		return fmt.Errorf("count jobs: %w", err)
	}
	n := counts[herald.JobFailed]
	if n == 0 {
		_, err := fmt.Fprintln(a.Out(), "No failed jobs: nothing to retry.")
		return err
	}
	if err := a.confirm(fmt.Sprintf("Retry %s now?", plural(n, "failed job", "failed jobs")), yes); err != nil {
		return err
	}
	n, err = st.RetryFailed(ctx, a.now())
	if err != nil {
		return fmt.Errorf("retry failed jobs: %w", err)
	}
	_, err = fmt.Fprintf(a.Out(), "Retrying %s: pending again, due now.\n", plural(n, "failed job", "failed jobs"))
	return err
}

func newQueueCancelCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel JOB",
		Short: "Cancel a pending job: it is skipped (reason cancelled) and never sent",
		Long: `Cancel a pending job: it becomes skipped with reason "cancelled" and is never
sent (a job being sent or already sent cannot be cancelled; 'herald queue
retry' brings a cancelled job back).`,
		Example: "  herald queue cancel 43",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withJob(ctx, args[0], func(st herald.Store, j herald.Job) error {
				if j.State != herald.JobPending {
					return fmt.Errorf("%s is %s: only a pending job can be cancelled", describe(j), j.State)
				}
				if err := st.CancelJob(ctx, j.ID, a.now()); err != nil {
					if errors.Is(err, herald.ErrConflict) {
						return fmt.Errorf("%s is no longer pending (it is being sent): not cancelled", describe(j))
					}
					return fmt.Errorf("cancel job: %w", err)
				}
				_, err := fmt.Fprintf(a.Out(), "Cancelled %s: it will not be sent.\n", describe(j))
				return err
			})
		},
	}
}

// stateNames lists the job states, comma-separated, for help and errors.
func stateNames() string {
	names := make([]string, len(herald.JobStates))
	for i, s := range herald.JobStates {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

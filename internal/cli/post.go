package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/dispatch"
	"github.com/heraldhq/herald/internal/herald"
)

// adhocSource is the push-only source of the articles `herald post` makes.
const adhocSource = "adhoc"

// postResult is what `herald post` reports.
type postResult struct {
	JobID      int64  `json:"job_id"`
	ArticleID  int64  `json:"article_id"`
	Account    string `json:"account"`
	State      string `json:"state"` // sent, skipped, failed, or pending when not sent yet
	Permalink  string `json:"permalink"`
	RemoteID   string `json:"remote_id"`
	Text       string `json:"text"` // the text sent (or composed, in a dry run)
	SkipReason string `json:"skip_reason"`
	ErrorKind  string `json:"error_kind"`
	Error      string `json:"error"`
	// Note says why a job that was not sent waits, and what to do.
	Note string `json:"note"`
}

type postFlags struct {
	account, title, link, text, format string
	wait                               time.Duration
}

func newPostCmd(a *App) *cobra.Command {
	var f postFlags
	cmd := &cobra.Command{
		Use:   "post --account ID --link URL [--title TITLE] [--text TEXT]",
		Short: "Send one post now to one account and print its permalink",
		Long: `Send one post by hand, now, to one account, through the outbox: the article
(its link and title) is recorded on the push-only source "adhoc" unless Herald
knows it already, a post job is queued, and it is sent at once with the
account's template (or --text), spacing, daily cap and budget, exactly as the
daemon would; a job of the same account that was due before goes first.
The permalink is printed.

When the daemon of this configuration (herald run) answers on http.addr, it
sends the job, so that the account's posts go one at a time and in order;
the command waits for it (at most --wait). A daemon on another machine
sharing the database may take the job first too. When the post
cannot go out now (the account is held by a rate limit or spacing, or the
network refused it), the command says why, the job stays queued or failed
(see herald queue), and the exit status is 1.

When Herald already knows the article under another title, the article is
left as it is and the --title given is posted as the text.`,
		Example: "  herald post --account x_main --title 'Live: election results' --link https://example.com/live\n" +
			"  herald post --account fb_page --link https://example.com/live --text 'Follow the count with us'",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case f.format != "text" && f.format != "json":
				return usageErrorf("--format: must be text or json, not %q", f.format)
			case f.account == "":
				return usageErrorf("--account: required: the account to post to")
			case f.link == "":
				return usageErrorf("--link: required: the article's URL")
			case f.wait < 0:
				return usageErrorf("--wait: must not be negative")
			}
			link, err := herald.CanonicalURL(f.link)
			if err != nil {
				return usageErrorf("--link: must be an absolute http or https URL (got %q)", f.link)
			}
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			if _, err := pickAccounts(cfg, []string{f.account}, "--account"); err != nil {
				return err
			}
			res, err := a.post(cmd.Context(), cfg, f, link)
			if err != nil {
				return err
			}
			return a.reportPost(res, f.format)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.account, "account", "", "the account to post to (required)")
	fl.StringVar(&f.link, "link", "", "the article's URL (required)")
	fl.StringVar(&f.title, "title", "", "the headline (required unless Herald knows the article)")
	fl.StringVar(&f.text, "text", "", "the post's text written by hand instead of the template (the link is added on X)")
	fl.DurationVar(&f.wait, "wait", 30*time.Second, "how long to wait for the post to go out (spacing, a running daemon)")
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	return cmd
}

// post records the article and the job and sends it (or waits for the
// daemon to). Errors are failures of Herald itself; the post's own outcome
// is in the result.
func (a *App) post(ctx context.Context, cfg *config.Config, f postFlags, link string) (postResult, error) {
	st, done, err := a.openForNetworks(ctx, cfg)
	if err != nil {
		return postResult{}, err
	}
	defer done()
	acct, err := st.GetAccount(ctx, f.account)
	if err != nil {
		return postResult{}, fmt.Errorf("get account: %w", err)
	}
	if acct.Paused {
		return postResult{}, fmt.Errorf("%s is paused (%s): fix its credentials and run herald accounts resume %s first",
			f.account, cleanCell(acct.PauseReason), f.account)
	}
	art, text, err := adhocArticle(ctx, st, link, f)
	if err != nil {
		return postResult{}, err
	}
	job, err := st.CreateJob(ctx, herald.NewJob{ArticleID: art.ID, Account: f.account, Kind: herald.KindAdhoc,
		Priority: herald.PriorityBreaking, Text: text}, time.Now())
	if err != nil {
		return postResult{}, fmt.Errorf("create job: %w", err)
	}
	var d *dispatch.Dispatcher
	watch := &claimWatch{Store: st, jobID: job.ID}
	if !a.daemonSends && !daemonRuns(ctx, cfg) {
		if d, err = postDispatcher(ctx, cfg, f.account, watch, a); err != nil {
			return postResult{}, err
		}
	}
	res, err := awaitJob(ctx, st, d, watch, job.ID, f.wait)
	if err == nil && res.SkipReason == herald.SkipDryRun && res.Text == "" {
		// A dry run records no text: compose it again to show it.
		if c, cerr := buildComposer(f.account, cfg.Accounts[f.account]); cerr == nil {
			j := job
			j.Text = text
			if m, cerr := composeFunc(c, shortBase(cfg))(art, j); cerr == nil {
				res.Text = m.Text
			}
		}
	}
	return res, err
}

// adhocArticle returns the article to post (recorded on the adhoc source
// when new) and the job's hand-written text, if any.
func adhocArticle(ctx context.Context, st herald.Store, link string, f postFlags) (herald.Article, string, error) {
	// The command makes its own job: the article is recorded, with no
	// automatic post, by the intake rules of a source with no targets.
	now := time.Now()
	item := herald.IntakeRules{Source: adhocSource}.Prepare([]herald.ArticleInput{{URL: link, Title: f.title}}, now)
	title := item[0].Title
	art, err := st.FindArticle(ctx, link)
	switch {
	case err == nil:
		if f.text == "" && title != "" && title != art.Title {
			return art, title, nil // the article keeps its title; the post says this one
		}
		return art, f.text, nil
	case !errors.Is(err, herald.ErrNotFound):
		return art, "", fmt.Errorf("find article: %w", err)
	case title == "":
		return art, "", usageErrorf("--title: required: Herald does not know %s", link)
	}
	src, err := st.PushSource(ctx, adhocSource)
	if err != nil {
		return art, "", fmt.Errorf("adhoc source: %w", err)
	}
	res, err := st.SaveArticles(ctx, src.ID, item, now)
	if err != nil {
		return art, "", fmt.Errorf("save article: %w", err)
	}
	if len(res) != 1 {
		return art, "", fmt.Errorf("save article: %d results for one article", len(res))
	}
	return res[0].Article, f.text, nil
}

// postDispatcher returns the dispatcher that sends the post: the daemon's
// (app.NewDispatcher) for one account, claiming one job at a time, under an
// owner of its own (never the daemon's).
func postDispatcher(ctx context.Context, cfg *config.Config, id string, st herald.Store, a *App) (*dispatch.Dispatcher, error) {
	pub, err := buildPublisher(cfg, id, st, a.Logger())
	if err != nil {
		return nil, err
	}
	d, err := app.NewDispatcher(cfg, st, map[string]herald.Publisher{id: pub}, app.SenderOptions{
		Accounts: []string{id}, Owner: cfg.Dispatch.InstanceID + "/post-" + strconv.Itoa(os.Getpid()), OneAtATime: true,
	}, a.Logger())
	return d, fromApp(err)
}

// claimWatch is the store as the post's dispatcher sees it: once the job
// has been claimed it claims nothing more, so the command sends that job
// (and at most the account's jobs due before it), never the backlog after.
type claimWatch struct {
	herald.Store
	jobID int64

	mu      sync.Mutex
	claimed bool
}

func (w *claimWatch) ClaimJobs(ctx context.Context, opts herald.ClaimOptions) ([]herald.Job, error) {
	if w.done() {
		return nil, nil
	}
	jobs, err := w.Store.ClaimJobs(ctx, opts)
	for _, j := range jobs {
		if j.ID == w.jobID {
			w.mu.Lock()
			w.claimed = true
			w.mu.Unlock()
		}
	}
	return jobs, err
}

func (w *claimWatch) done() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.claimed
}

// awaitJob sends the job with d (nil: leave it to a daemon) and waits, at
// most wait, until it is sent, skipped or failed, or until this command's
// own attempt gave it back (a retry later, a hold, a pause).
func awaitJob(ctx context.Context, st herald.Store, d *dispatch.Dispatcher, w *claimWatch, id int64, wait time.Duration) (postResult, error) {
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if d != nil && !w.done() {
			if _, err := app.SendNow(ctx, d); err != nil {
				return postResult{}, err
			}
		}
		j, err := st.GetJob(ctx, id)
		if err != nil {
			return postResult{}, fmt.Errorf("get job: %w", err)
		}
		if j.State.Terminal() || (w.done() && j.State == herald.JobPending) || !time.Now().Before(deadline) {
			return jobResult(ctx, st, j), nil
		}
		select {
		case <-ctx.Done():
			return jobResult(ctx, st, j), ctx.Err()
		case <-tick.C:
		}
	}
}

// jobResult describes where the job is, with a note when it was not sent.
func jobResult(ctx context.Context, st herald.Store, j herald.Job) postResult {
	r := postResult{JobID: j.ID, ArticleID: j.ArticleID, Account: j.Account, State: string(j.State), Permalink: j.Permalink,
		RemoteID: j.RemoteID, Text: j.SentText, SkipReason: j.SkipReason, ErrorKind: string(j.ErrorKind), Error: j.LastError}
	if j.State == herald.JobSent {
		r.Error, r.ErrorKind = "", ""
	}
	if j.State.Terminal() {
		return r
	}
	acct, err := st.GetAccount(ctx, j.Account)
	switch {
	case err == nil && acct.Paused:
		r.Note = fmt.Sprintf("%s is now paused: fix its credentials, then herald accounts resume %s (the post waits)", j.Account, j.Account)
	case err == nil && acct.HoldUntil.After(time.Now()):
		r.Note = fmt.Sprintf("%s is held until %s (%s): herald run sends the post then",
			j.Account, acct.HoldUntil.UTC().Format(time.RFC3339), cleanCell(acct.HoldReason))
	case j.State == herald.JobSending || (j.ClaimedBy != "" && j.LeaseUntil.After(time.Now())):
		r.Note = "another Herald instance is sending it: see herald queue"
	case j.NextAttemptAt.After(time.Now()):
		r.Note = "herald run tries again at " + j.NextAttemptAt.UTC().Format(time.RFC3339)
	default:
		r.Note = "it waits in the queue for herald run (daily cap, quiet hours or budget)"
	}
	return r
}

// reportPost prints the outcome; anything but sent is an error (exit 1).
func (a *App) reportPost(r postResult, format string) error {
	var err error
	if format == "json" {
		err = writeJSON(a, "", r)
	} else {
		switch r.State {
		case string(herald.JobSent):
			_, err = fmt.Fprintf(a.Out(), "Posted to %s (job %d): %s\n%s", r.Account, r.JobID, dash(r.Permalink), indent(r.Text))
		case string(herald.JobSkipped):
			if r.SkipReason == herald.SkipDryRun {
				_, err = fmt.Fprintf(a.Out(), "Dry run (publish.dry_run): composed for %s, not sent (job %d):\n%s",
					r.Account, r.JobID, indent(r.Text))
			}
		}
	}
	if err != nil {
		return err
	}
	switch r.State {
	case string(herald.JobSent):
		return nil
	case string(herald.JobSkipped):
		if r.SkipReason == herald.SkipDryRun {
			return nil
		}
		return fmt.Errorf("not sent: job %d skipped (%s): %s", r.JobID, r.SkipReason, cleanCell(r.Error))
	case string(herald.JobFailed):
		return fmt.Errorf("not sent: job %d failed: %s: %s", r.JobID, r.ErrorKind, cleanCell(r.Error))
	}
	msg := fmt.Sprintf("not sent yet: job %d is %s", r.JobID, r.State)
	if r.Error != "" {
		msg += " after " + r.ErrorKind + ": " + cleanCell(r.Error)
	}
	return fmt.Errorf("%s; %s", msg, r.Note)
}

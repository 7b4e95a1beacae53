package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// deleteResult is `herald delete --format json`.
type deleteResult struct {
	JobID     int64     `json:"job_id"`
	Account   string    `json:"account"`
	Network   string    `json:"network"`
	RemoteID  string    `json:"remote_id"`
	Permalink string    `json:"permalink"`
	Title     string    `json:"title"`
	DeletedAt time.Time `json:"deleted_at"`
}

func newDeleteCmd(a *App) *cobra.Command {
	var yes bool
	var format string
	cmd := &cobra.Command{
		Use:   "delete POST",
		Short: "Delete a post from X or Facebook (for corrections) and record it",
		Long: `Delete a post Herald sent: POST is the post's ID on its network (X: the
tweet ID; Facebook: the post ID, PAGEID_POSTID) or its permalink, as
'herald history' shows them. Herald calls the network (X: DELETE
/2/tweets/:id; Facebook: DELETE /{post-id}) with the account that posted it,
then records the post as deleted: it leaves the rankings and is no longer
read. A post the network no longer has counts as deleted.

It asks for confirmation on a terminal; elsewhere it needs --yes. The
deletion is immediate, daemon or not: it is not a post, so spacing and caps
do not apply.`,
		Example: "  herald delete 1893749102934\n  herald delete https://x.com/daily_news/status/1893749102934 --yes",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return a.deletePost(cmd.Context(), args[0], yes, format)
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	addFormatFlag(cmd, &format)
	return cmd
}

func (a *App) deletePost(ctx context.Context, arg string, yes bool, format string) error {
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	return a.withStore(ctx, func(st herald.Store) error { return a.deleteFrom(ctx, cfg, st, arg, yes, format) })
}

// deleteFrom deletes the post arg names, as deletePost.
func (a *App) deleteFrom(ctx context.Context, cfg *config.Config, st herald.Store, arg string, yes bool, format string) error {
	job, err := findPost(ctx, st, arg)
	if err != nil {
		return err
	}
	title := ""
	if job.Article != nil {
		title = job.Article.Title
	}
	if !job.DeletedAt.IsZero() {
		_, err := fmt.Fprintf(a.Out(), "Post %s of %s was already deleted %s.\n", job.RemoteID, job.Account,
			ago(job.DeletedAt, a.now()))
		return err
	}
	if _, ok := cfg.Accounts[job.Account]; !ok {
		return fmt.Errorf("post %s was sent by %s, which is no longer configured: it cannot be deleted from here", job.RemoteID, job.Account)
	}
	q := fmt.Sprintf("Delete %s's post %s (%q) from %s?", job.Account, job.RemoteID, cutText(cleanCell(title), 60), job.Network)
	if err := a.confirm(q, yes); err != nil {
		return err
	}
	sb, err := startSandbox(cfg, a.Logger())
	if err != nil {
		return err
	}
	defer sb.Close()
	pub, err := buildPublisher(cfg, job.Account, st, a.Logger())
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, max(cfg.Dispatch.Timeout, 5*time.Second))
	defer cancel()
	if err := pub.Delete(cctx, job.RemoteID); err != nil {
		return fmt.Errorf("delete post %s from %s: %w", job.RemoteID, job.Account, err)
	}
	now := a.now()
	if err := st.MarkDeleted(ctx, job.ID, now); err != nil {
		return fmt.Errorf("the post is gone from %s but was not recorded as deleted: %w", job.Network, err)
	}
	res := deleteResult{JobID: job.ID, Account: job.Account, Network: string(job.Network), RemoteID: job.RemoteID,
		Permalink: job.Permalink, Title: title, DeletedAt: now.UTC()}
	switch format {
	case "json":
		return writeJSON(a, "", res)
	case "csv":
		return writeRows(a, format, "", []deleteResult{res}, nil, "")
	}
	_, err = fmt.Fprintf(a.Out(), "Deleted %s's post %s (%s).\n", job.Account, job.RemoteID, dash(job.Permalink))
	return err
}

// findPost returns the sent job of a post ID or permalink. A permalink
// Herald recorded differently (x.com or twitter.com, a query string) is
// found by the ID at its end.
func findPost(ctx context.Context, st herald.Store, arg string) (herald.Job, error) {
	arg = strings.TrimSpace(arg)
	job, err := st.FindJobByRemote(ctx, arg)
	if errors.Is(err, herald.ErrNotFound) {
		if u, perr := url.Parse(arg); perr == nil && u.Host != "" {
			if id := path.Base(strings.TrimRight(u.Path, "/")); id != "" && id != "." && id != "/" {
				job, err = st.FindJobByRemote(ctx, id)
			}
		}
	}
	if errors.Is(err, herald.ErrNotFound) {
		return job, fmt.Errorf("no post Herald sent has the ID or permalink %s (herald history ARTICLE lists them)", arg)
	}
	if err != nil {
		return job, fmt.Errorf("find post: %w", err)
	}
	return job, nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/herald"
)

func newQueueApproveCmd(a *App) *cobra.Command {
	var all bool
	var text string
	cmd := &cobra.Command{
		Use:   "approve JOB | --all",
		Short: "Send a post held for review (or every held post), optionally with new text",
		Long: `Approve a post held for review (review: true on its account or source, or
asked for by the CMS): it becomes pending and goes out in its place in the
queue, with its priority, as if it had never been held. --text replaces the
post's text (the link is added as for any text given by hand). --all
approves every held post.`,
		Example: "  herald queue approve 42\n  herald queue approve 42 --text \"Storm: what we know\"\n  herald queue approve --all",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case all && len(args) > 0:
				return usageErrorf("give a JOB or --all: not both")
			case !all && len(args) == 0:
				return usageErrorf("give the JOB to approve, or --all for every held post")
			case cmd.Flags().Changed("text") && strings.TrimSpace(text) == "":
				return usageErrorf("--text: must not be empty")
			}
			ctx := cmd.Context()
			if all {
				return a.withStore(ctx, func(st herald.Store) error {
					n, err := st.ApproveHeld(ctx, strings.TrimSpace(text), a.now())
					if err != nil {
						return fmt.Errorf("approve held jobs: %w", err)
					}
					_, err = fmt.Fprintf(a.Out(), "Approved %s: pending, in their place in the queue.\n", plural(n, "held post", "held posts"))
					return err
				})
			}
			return a.review(ctx, args[0], "approve", func(st herald.Store, id int64) error {
				return st.ApproveJob(ctx, id, strings.TrimSpace(text), a.now())
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "approve every held post")
	cmd.Flags().StringVar(&text, "text", "", "send the post with this `TEXT` instead of its own")
	return cmd
}

func newQueueRejectCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "reject JOB",
		Short: "Drop a post held for review: it is skipped (reason rejected) and never sent",
		Long: `Reject a post held for review: it becomes skipped with reason "rejected"
and is not sent ('herald queue retry' brings it back).`,
		Example: "  herald queue reject 42",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.review(ctx, args[0], "reject", func(st herald.Store, id int64) error { return st.RejectJob(ctx, id, a.now()) })
		},
	}
}

// review approves or rejects (verb) the held job arg names with do, and
// says so.
func (a *App) review(ctx context.Context, arg, verb string, do func(herald.Store, int64) error) error {
	return a.withJob(ctx, arg, func(st herald.Store, j herald.Job) error {
		if j.State != herald.JobHeld {
			return fmt.Errorf("%s is %s: only a post held for review can be %s", describe(j), j.State,
				map[string]string{"approve": "approved", "reject": "rejected"}[verb])
		}
		if err := do(st, j.ID); err != nil {
			if errors.Is(err, herald.ErrConflict) {
				return fmt.Errorf("%s is no longer held (someone else reviewed it): nothing done", describe(j))
			}
			return fmt.Errorf("%s job: %w", verb, err)
		}
		what := "Approved %s: pending, in its place in the queue.\n"
		if verb == "reject" {
			what = "Rejected %s: it will not be sent.\n"
		}
		_, err := fmt.Fprintf(a.Out(), what, describe(j))
		return err
	})
}

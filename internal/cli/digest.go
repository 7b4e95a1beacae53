package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/digest"
	"github.com/heraldhq/herald/internal/herald"
)

func newDigestCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "digest",
		Short: "Preview or post an account's daily digest of the top stories",
		Long: `An account with a digest (accounts.ID.digest.schedule) posts the day's top
stories by Herald's ranking once a day: as a thread on X, Mastodon and
Bluesky (the title and the first story, then one story a reply) and as one
post with the list on Facebook. Stories in the previous day's digest are left
out. The daemon posts it at the schedule's first time each day; each part is a
job of the outbox, so it goes out once, across restarts and instances.`,
	}
	preview := &cobra.Command{
		Use:   "preview ACCOUNT",
		Short: "Print exactly what the account's digest would post now, and its cost",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.digestPreview(cmd.Context(), args[0])
		},
	}
	run := &cobra.Command{
		Use:   "run ACCOUNT",
		Short: "Post the account's digest of today now (unless it was posted already)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.digestRun(cmd.Context(), args[0])
		},
	}
	cmd.AddCommand(preview, run)
	return cmd
}

// newDigest returns an account's digest as configured; see app.Digest.
func newDigest(cfg *config.Config, id string) (*digest.Digest, error) {
	d, err := app.Digest(cfg, id)
	return d, fromApp(err)
}

// digestAccount checks that id is an account with a digest and returns it.
func (a *App) digestAccount(id string) (*config.Config, *digest.Digest, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, nil, err
	}
	if _, err := pickAccounts(cfg, []string{id}, "ACCOUNT"); err != nil {
		return nil, nil, err
	}
	if cfg.Accounts[id].Digest.Schedule == "" {
		return nil, nil, usageErrorf("accounts.%s.digest.schedule: not set: the account has no digest", id)
	}
	d, err := newDigest(cfg, id)
	return cfg, d, err
}

func (a *App) digestPreview(ctx context.Context, id string) error {
	cfg, d, err := a.digestAccount(id)
	if err != nil {
		return err
	}
	var rows []herald.ReportRow
	now := a.now()
	err = a.readStore(ctx, func(st herald.Store) (err error) {
		if rows, err = d.Plan(ctx, st, now); err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	texts, err := d.Texts(rows)
	if err != nil {
		return usageErrorf("accounts.%s.digest.%w", id, err)
	}
	out := a.Out()
	if len(texts) == 0 {
		_, err := fmt.Fprintf(out, "%s: no story for the digest of %s.\n", id, d.Day(now))
		return err
	}
	fmt.Fprintf(out, "%s: digest of %s, %d post(s)\n", id, d.Day(now), len(texts))
	for i, t := range texts {
		head := fmt.Sprintf("--- post %d", i+1)
		if i > 0 {
			head += fmt.Sprintf(" (reply to post %d)", i)
		}
		fmt.Fprintf(out, "%s\n%s\n", head, t)
	}
	if c := cfg.Accounts[id].Cost.PostWithLink; c > 0 {
		fmt.Fprintf(out, "--- cost: %d post(s) with a link at $%.3f: $%.3f\n", len(texts), c, c*float64(len(texts)))
	}
	return nil
}

// digestRun posts today's digest now, part after part, each through the
// outbox with a dispatcher of this command's own.
func (a *App) digestRun(ctx context.Context, id string) error {
	cfg, d, err := a.digestAccount(id)
	if err != nil {
		return err
	}
	st, done, err := a.openForNetworks(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	for range 50 { // a digest has at most 20 parts
		now := a.now()
		j, done, err := d.Step(ctx, st, now)
		if err != nil {
			return fmt.Errorf("digest: %w", err)
		}
		if done {
			parts, err := st.DigestJobs(ctx, id, d.Day(now))
			if err != nil {
				return fmt.Errorf("digest: %w", err)
			}
			return a.reportDigest(parts, d.Day(now))
		}
		var jobID int64
		if j != nil {
			jobID = j.ID
		} else {
			// The last part is not sent yet: send or wait for it.
			parts, err := st.DigestJobs(ctx, id, d.Day(now))
			if err != nil || len(parts) == 0 {
				return fmt.Errorf("digest: %w", err)
			}
			jobID = parts[len(parts)-1].Job.ID
		}
		watch := &claimWatch{Store: st, jobID: jobID}
		disp, err := postDispatcher(ctx, cfg, id, watch, a)
		if err != nil {
			return err
		}
		res, err := awaitJob(ctx, st, disp, watch, jobID, 30*time.Second)
		if err != nil {
			return err
		}
		if res.State != string(herald.JobSent) {
			return fmt.Errorf("digest: part not sent (job %d %s): %s", res.JobID, res.State,
				strings.TrimSpace(res.Error+" "+res.Note))
		}
	}
	return fmt.Errorf("digest: not complete after 50 steps")
}

// reportDigest prints each part of a digest and where it is.
func (a *App) reportDigest(parts []herald.DigestJob, day string) error {
	if len(parts) == 0 {
		_, err := fmt.Fprintf(a.Out(), "No story for the digest of %s.\n", day)
		return err
	}
	for _, p := range parts {
		fmt.Fprintf(a.Out(), "part %d: job %d %s %s\n", p.Part+1, p.Job.ID, p.Job.State, p.Job.Permalink)
	}
	return nil
}

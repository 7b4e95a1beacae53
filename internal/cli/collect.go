package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/rank"
)

// progressFrom is how many due posts make a collect long enough for a
// progress bar.
const progressFrom = 500

func newCollectCmd(a *App) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Read the engagement of recent posts now (one collector pass)",
		Long: `Read back, now, the public counters of the posts that are due (the same
pass the daemon runs every ranking.collect_interval): posts younger than an
hour every time, younger than a day hourly, older ones every six hours, until
ranking.collect_for. X is asked 100 posts a request and Facebook 50; each
post read on X is charged once per UTC day in the ledger. Posts the network
no longer has are marked gone and leave the rankings.

A rate-limited or failing account is skipped (and named on standard error);
the others are still read.`,
		Example: "  herald collect\n  herald collect --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usageErrorf("--format: must be text or json, not %q", format)
			}
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, pubs, done, err := a.openPublishers(ctx, cfg)
			if err != nil {
				return fmt.Errorf("collect: %w", err)
			}
			defer done()
			opts := rankOptions(cfg)
			opts.Now = a.now
			var bar *progressbar.ProgressBar
			if a.Interactive() {
				opts.Progress = func(done, total int) {
					if bar == nil && total >= progressFrom {
						bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(a.Err()),
							progressbar.OptionSetDescription("reading engagement"), progressbar.OptionShowCount(),
							progressbar.OptionClearOnFinish())
					}
					if bar != nil {
						_ = bar.Set(done)
					}
				}
			}
			c := rank.NewCollector(st, rankAccounts(cfg, pubs), opts, a.Logger())
			stats, err := c.Pass(ctx)
			if bar != nil {
				_ = bar.Finish()
			}
			if err != nil {
				return err
			}
			return a.printCollect(stats, cfg.Ranking.CollectFor.String(), format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// collectResult is `herald collect --format json`.
type collectResult struct {
	Posts    int      `json:"posts"`
	Due      int      `json:"due"`
	Read     int      `json:"read"`
	Gone     int      `json:"gone"`
	Failed   int      `json:"failed"`
	Requests int      `json:"requests"`
	Charged  int      `json:"charged_reads"`
	CostUSD  float64  `json:"cost_usd"`
	Held     []string `json:"rate_limited"`
	Seconds  float64  `json:"seconds"`
}

func (a *App) printCollect(st rank.PassStats, collectFor, format string) error {
	if format == "json" {
		held := st.Held
		if held == nil {
			held = []string{}
		}
		return writeJSON(a, "", collectResult{Posts: st.Posts, Due: st.Due, Read: st.Read, Gone: st.Gone,
			Failed: st.Failed, Requests: st.Requests, Charged: st.Charged, CostUSD: st.Cost.Dollars(),
			Held: held, Seconds: st.Elapsed.Seconds()})
	}
	var out, warn strings.Builder
	fmt.Fprintf(&out, "Read %d of %s (%d sent in the last %s) in %s.\n",
		st.Read, plural(st.Due, "due post", "due posts"), st.Posts, collectFor, plural(st.Requests, "request", "requests"))
	if st.Gone > 0 {
		fmt.Fprintf(&out, "%s from their network and leave the rankings.\n", plural(st.Gone, "post is gone", "posts are gone"))
	}
	if st.Charged > 0 {
		fmt.Fprintf(&out, "Charged %s (%s) to the ledger.\n", plural(st.Charged, "read", "reads"), usd(st.Cost.Dollars()))
	}
	if len(st.Held) > 0 {
		fmt.Fprintf(&warn, "Rate-limited, read later: %s.\n", strings.Join(st.Held, ", "))
	}
	if st.Failed > 0 {
		fmt.Fprintf(&warn, "%s not be read this time (see the log); the next pass retries them.\n",
			plural(st.Failed, "post could", "posts could"))
	}
	if _, err := io.WriteString(a.Out(), out.String()); err != nil {
		return err
	}
	_, err := io.WriteString(a.Err(), warn.String())
	return err
}

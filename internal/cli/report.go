package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

func newReportCmd(a *App) *cobra.Command {
	var p rank.Params
	var format string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Rank the stories published lately by shares, score, reactions, comments, clicks or views",
		Long: `Rank the stories published inside a window by the engagement their posts
earned, summed over every account (or one network's: X, Facebook, Mastodon or
Bluesky): shares (X retweets and quotes, Facebook shares, Mastodon boosts,
Bluesky reposts and quotes), reactions (X likes, Facebook reactions, Mastodon
favourites, Bluesky likes), comments (Facebook comments, replies on the
others), clicks on short links, or score, the sum weighted by
ranking.weights. Posts deleted from their network do not count. --by views
ranks by the page views the site's beacon counted (GET /v/{article}, one per
client network and story a day), posted or not.

--trending ranks by what each story gained inside the window (from the
collector's readings) rather than by its totals. The figures are as fresh as
the last collector pass (herald collect runs one now).

The table fits the terminal, with a column per network (Mastodon's and
Bluesky's when a story was posted there); --format json gives the
configuration, the database and the stories (the array the site's widgets
read, under "stories"), --format csv a spreadsheet, both with every network's
figures: twitter (retweets, quotes, likes, replies, impressions), facebook
(shares, reactions, comments), mastodon (boosts, favourites, replies) and
bluesky (reposts, quotes, likes, replies).`,
		Example: `  herald report
  herald report --since 7d --by score --limit 10
  herald report --network twitter --section business
  herald report --network mastodon --format csv
  herald report --since 30d --trending --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if p.Limit < 1 {
				return usageErrorf("--limit: must be between 1 and %d (got %d)", rank.MaxLimit, p.Limit)
			}
			q, err := p.Query(a.now(), herald.DefaultWeights)
			if err != nil {
				return paramUsageError(err)
			}
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			q.Weights = rank.WeightsFrom(cfg.Ranking.Weights)
			st, err := a.OpenStoreToRead(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			return a.report(cmd.Context(), st, q, p.Since, format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.Since, "since", rank.DefaultSince, "window: stories published in the last 24h, 7d, 30d, 2w, 36h, ...")
	f.StringVar(&p.By, "by", rank.Rankings[0], "rank by "+strings.Join(rank.ReportRankings, ", "))
	f.StringVar(&p.Network, "network", "", "count only one network's posts: twitter (or x), facebook, mastodon or bluesky")
	f.StringVar(&p.Section, "section", "", "only stories from this source (section)")
	f.IntVar(&p.Limit, "limit", rank.DefaultLimit, fmt.Sprintf("how many stories (1 to %d)", rank.MaxLimit))
	f.BoolVar(&p.Trending, "trending", false, "rank by what was gained inside the window, not by totals")
	addFormatFlag(cmd, &format)
	return cmd
}

// paramUsageError turns a report parameter's error into a usage error
// naming its flag.
func paramUsageError(err error) error {
	var pe *rank.ParamError
	if errors.As(err, &pe) {
		return usageErrorf("--%s: %s (got %q)", pe.Param, pe.Reason, pe.Value)
	}
	return usageError(err)
}

// report runs q and writes the result in format.
func (a *App) report(ctx context.Context, st herald.Store, q herald.ReportQuery, since, format string) error {
	if q.Section != "" {
		if err := knownSource(ctx, st, "--section", q.Section); err != nil {
			return err
		}
	}
	rows, err := st.Report(ctx, q)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	switch format {
	case "json":
		// The array is the one /api/popular serves (rank.WriteJSON).
		var list bytes.Buffer
		if err := rank.WriteJSON(&list, rows); err != nil {
			return err
		}
		return writeJSON(a, "stories", json.RawMessage(list.Bytes()))
	case "csv":
		return rank.WriteCSV(a.Out(), rows)
	}
	if len(rows) == 0 && q.By == "views" {
		_, err := fmt.Fprintf(a.Out(), "No story published in the last %s was viewed.\n", since)
		return err
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintf(a.Out(), "No posted story was published in the last %s.\n", since)
		return err
	}
	series, err := rank.SeriesFor(ctx, st, rows, q.Since)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	opts := rank.TableOptions{Width: tableWidth(a.Out()), Color: a.Color(), Network: q.Network}
	if q.By == "clicks" {
		return rank.WriteTableByClicks(a.Out(), rows, series, opts)
	}
	return rank.WriteTable(a.Out(), rows, series, opts)
}

// tableWidth is the width tables are fitted to: the terminal's when w is
// one ($COLUMNS when its size cannot be read), else 0: off a terminal
// nothing is cut.
func tableWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !isTerminal(f) {
		return 0
	}
	if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
		return cols
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/herald"
)

// historyRow is one post (job) of an article as `herald history` shows it.
type historyRow struct {
	JobID      int64      `json:"job_id"`
	Account    string     `json:"account"`
	Network    string     `json:"network"`
	Seq        int        `json:"seq"`  // 0: the automatic post; 1, 2, ...: reposts
	Kind       string     `json:"kind"` // post, repost, adhoc
	State      string     `json:"state"`
	SkipReason string     `json:"skip_reason"`
	Error      string     `json:"error"`
	SentAt     *time.Time `json:"sent_at"`
	DeletedAt  *time.Time `json:"deleted_at"`
	Gone       bool       `json:"gone"` // the network no longer has it
	Permalink  string     `json:"permalink"`
	Text       string     `json:"text"` // as sent
	// Engagement as last read: shares (X retweets and quotes, Facebook
	// shares), reactions (likes), comments (replies), impressions (X).
	Shares      int64 `json:"shares"`
	Reactions   int64 `json:"reactions"`
	Comments    int64 `json:"comments"`
	Impressions int64 `json:"impressions"`
	Clicks      int64 `json:"clicks"` // on the short link
}

func newHistoryRow(j herald.Job) historyRow {
	e := j.Latest
	r := historyRow{JobID: j.ID, Account: j.Account, Network: string(j.Network), Seq: j.Seq, Kind: j.Kind,
		State: string(j.State), SkipReason: j.SkipReason, Error: j.LastError, SentAt: utcPtr(j.SentAt),
		DeletedAt: utcPtr(j.DeletedAt), Gone: j.RemoteGone, Permalink: j.Permalink, Text: j.SentText,
		Shares: e.Retweets + e.Quotes + e.Shares, Reactions: e.Likes + e.Reactions, Comments: e.Replies + e.Comments,
		Impressions: e.Impressions, Clicks: j.Clicks}
	if j.State == herald.JobSent {
		r.Error = ""
	}
	return r
}

func historyColumns(now time.Time) []column[historyRow] {
	num := func(f func(historyRow) int64) func(historyRow) string {
		return func(r historyRow) string {
			if r.State != string(herald.JobSent) {
				return "-"
			}
			return strconv.FormatInt(f(r), 10)
		}
	}
	return []column[historyRow]{
		{head: "ACCOUNT", cell: func(r historyRow) string { return r.Account }},
		{head: "SEQ", right: true, cell: func(r historyRow) string { return strconv.Itoa(r.Seq) }},
		{head: "KIND", cell: func(r historyRow) string { return r.Kind }},
		{head: "STATE", cell: func(r historyRow) string {
			switch {
			case r.DeletedAt != nil:
				return "deleted"
			case r.Gone:
				return "gone"
			case r.SkipReason != "":
				return r.State + ": " + r.SkipReason
			}
			return r.State
		}, color: func(r historyRow) string {
			if r.DeletedAt != nil || r.Gone {
				return "2"
			}
			return map[string]string{"sent": "32", "skipped": "33", "failed": "31"}[r.State]
		}},
		{head: "SENT", cell: func(r historyRow) string { return when(r.SentAt, now) }},
		{head: "SHARES", right: true, cell: num(func(r historyRow) int64 { return r.Shares })},
		{head: "REACTIONS", right: true, cell: num(func(r historyRow) int64 { return r.Reactions })},
		{head: "COMMENTS", right: true, cell: num(func(r historyRow) int64 { return r.Comments })},
		{head: "CLICKS", right: true, cell: num(func(r historyRow) int64 { return r.Clicks })},
		{head: "PERMALINK", flex: true, cell: func(r historyRow) string {
			if r.Permalink == "" {
				return dash(r.Error)
			}
			return r.Permalink
		}},
	}
}

func newHistoryCmd(a *App) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "history ARTICLE",
		Short: "List every post of a story: per account, each post and repost with its permalink and engagement",
		Long: `List every post Herald made or tried to make of a story, per account: the
automatic post (seq 0) and each repost (seq 1, 2, ...), its state (sent,
pending, skipped with the reason, failed with the network's error, deleted),
when it was sent, its permalink, and the engagement last read (shares,
reactions, comments) and short-link clicks.

ARTICLE is the story's ID (herald articles) or its URL.`,
		Example: "  herald history 1234\n  herald history https://example.com/news/storm --format json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.OpenStoreToRead(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			art, err := knownArticle(ctx, st, args[0])
			if err != nil {
				return err
			}
			jobs, err := st.ListJobs(ctx, herald.JobFilter{ArticleID: art.ID})
			if err != nil {
				return fmt.Errorf("list jobs: %w", err)
			}
			slices.SortStableFunc(jobs, func(x, y herald.Job) int {
				return cmp.Or(cmp.Compare(x.Account, y.Account), cmp.Compare(x.Seq, y.Seq))
			})
			rows := make([]historyRow, 0, len(jobs))
			for _, j := range jobs {
				rows = append(rows, newHistoryRow(j))
			}
			if format == "table" {
				if _, err := fmt.Fprintf(a.Out(), "%s\n%s (article %d, published %s)\n\n", cleanCell(art.Title), art.URL,
					art.ID, art.PublishedAt.UTC().Format(time.RFC3339)); err != nil {
					return err
				}
			}
			return writeRows(a, format, "posts", rows, historyColumns(a.now()), "Not posted anywhere yet.")
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

// knownArticle returns the article arg names (ID or URL) if Herald has it;
// unlike repost it never reads a page.
func knownArticle(ctx context.Context, st herald.Store, arg string) (herald.Article, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		art, err := st.GetArticle(ctx, id)
		if errors.Is(err, herald.ErrNotFound) {
			return art, fmt.Errorf("no article has ID %d (herald articles lists them)", id)
		}
		return art, err
	}
	canon, err := herald.CanonicalURL(arg)
	if err != nil {
		return herald.Article{}, usageErrorf("%s: must be an article ID or an absolute http or https URL", arg)
	}
	art, err := st.FindArticle(ctx, canon)
	if errors.Is(err, herald.ErrNotFound) {
		return art, fmt.Errorf("herald has no article at %s", canon)
	}
	return art, err
}

package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

// articleRow is one article as `herald articles` shows it.
type articleRow struct {
	ID          int64      `json:"id"`
	Title       string     `json:"title"`
	URL         string     `json:"url"` // canonical
	GUID        string     `json:"guid"`
	Section     string     `json:"section"`  // the first source that carried it
	Sections    []string   `json:"sections"` // every source that carried it
	Categories  []string   `json:"categories"`
	Author      string     `json:"author"`
	Summary     string     `json:"summary"`
	ImageURL    string     `json:"image_url"`
	PublishedAt *time.Time `json:"published_at"`
	FirstSeenAt *time.Time `json:"first_seen_at"`
	UpdatedAt   *time.Time `json:"updated_at"`
	Stale       bool       `json:"stale"` // too old when first seen: recorded, never posted
}

func newArticlesCmd(a *App) *cobra.Command {
	var (
		since, source, format string
		limit                 int
	)
	cmd := &cobra.Command{
		Use:   "articles",
		Short: "List the articles Herald found, newest first",
		Long: `List the articles Herald recorded from its feeds and webhooks, newest
publication first: those first seen within --since, from one source with
--source. An article carried by several feeds is one article, listed once
with every section that carried it.`,
		Example: "  herald articles\n  herald articles --since 7d --source mexico\n" +
			"  herald articles --since 2h --format json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			window, err := rank.ParseSince(since)
			if err != nil {
				return usageErrorf("--since: %v (got %q)", err, since)
			}
			if limit < 0 {
				return usageErrorf("--limit: must be 0 (no limit) or more, not %d", limit)
			}
			st, err := a.OpenStoreToRead(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if source != "" {
				if err := knownSource(cmd.Context(), st, "--source", source); err != nil {
					return err
				}
			}
			now := a.now()
			list, err := st.ListArticles(cmd.Context(), herald.ArticleFilter{Since: now.Add(-window), Source: source, Limit: limit})
			if err != nil {
				return fmt.Errorf("list articles: %w", err)
			}
			rows := make([]articleRow, 0, len(list))
			for _, art := range list {
				rows = append(rows, newArticleRow(art))
			}
			empty := "No article was first seen in the last " + since
			if source != "" {
				empty += " in " + source
			}
			return writeRows(a, format, "articles", rows, articleColumns(now), empty+".")
		},
	}
	f := cmd.Flags()
	f.StringVar(&since, "since", "24h", "articles first seen within this window (90m, 24h, 7d, 2w)")
	f.StringVar(&source, "source", "", "only articles carried by this source (a feed's name, or webhook)")
	f.IntVar(&limit, "limit", 50, "at most this many articles (0: all)")
	addFormatFlag(cmd, &format)
	return cmd
}

func newArticleRow(a herald.Article) articleRow {
	list := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return articleRow{ID: a.ID, Title: a.Title, URL: a.URL, GUID: a.GUID, Section: a.Section,
		Sections: list(a.Sections), Categories: list(a.Categories), Author: a.Author, Summary: a.Summary,
		ImageURL: a.ImageURL, PublishedAt: utcPtr(a.PublishedAt), FirstSeenAt: utcPtr(a.FirstSeenAt),
		UpdatedAt: utcPtr(a.UpdatedAt), Stale: a.Stale}
}

func articleColumns(now time.Time) []column[articleRow] {
	return []column[articleRow]{
		{head: "ID", right: true, cell: func(r articleRow) string { return strconv.FormatInt(r.ID, 10) }},
		{head: "PUBLISHED", cell: func(r articleRow) string { return when(r.PublishedAt, now) }},
		{head: "SECTIONS", cell: func(r articleRow) string { return dash(strings.Join(r.Sections, ", ")) }},
		{head: "TITLE", flex: true, cell: func(r articleRow) string {
			if r.Stale {
				return r.Title + " (stale)"
			}
			return r.Title
		}, color: func(r articleRow) string { return iff(r.Stale, "2") }},
		{head: "URL", flex: true, cell: func(r articleRow) string { return r.URL }},
	}
}

// knownSource fails (not found, exit 1) naming flag (--source, --section)
// and the sources when name is not one of them.
func knownSource(ctx context.Context, st herald.Store, flag, name string) error {
	srcs, err := st.ListSources(ctx)
	if err != nil {
		return fmt.Errorf("list sources: %w", err)
	}
	names := make([]string, 0, len(srcs))
	for _, s := range srcs {
		if s.Name == name {
			return nil
		}
		names = append(names, s.Name)
	}
	return notFoundErrorf("%s: no source is named %q (sources: %s)", flag, name, strings.Join(names, ", "))
}

package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/herald"
)

func newFeedsCmd(a *App) *cobra.Command {
	return newGroup("feeds", "List the configured feeds and their health, or check a feed once",
		newFeedsListCmd(a), newFeedsCheckCmd(a))
}

// feedRow is one configured feed as `herald feeds list` shows it.
type feedRow struct {
	Name       string     `json:"name"`
	URL        string     `json:"url"`
	Status     string     `json:"status"` // ok, failing, never
	LastPollAt *time.Time `json:"last_poll_at"`
	LastStatus int        `json:"last_status"` // HTTP status of the last poll (0: none or a network error)
	LastError  string     `json:"last_error"`
	Failures   int        `json:"failures"` // consecutive failed polls
	Articles   int        `json:"articles"`
	NextPollAt *time.Time `json:"next_poll_at"`
}

// Feed statuses.
const (
	feedOK      = "ok"
	feedFailing = "failing"
	feedNever   = "never"
)

func newFeedsListCmd(a *App) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Show each configured feed: last poll, status, error, article count, next poll",
		Long: `Show every configured feed with what Herald knows of it: when it was last
polled and with what result (STATUS is ok, failing — the last poll failed and
the feed is backed off — or never), the last error, consecutive failures,
how many articles it carried, and when it is polled next.`,
		Example: "  herald feeds list\n  herald feeds list --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, srcs, err := a.readSources(cmd.Context(), format)
			if err != nil {
				return err
			}
			return writeRows(a, format, "feeds", feedRows(cfg, srcs), feedColumns(a.now()),
				"No feeds are configured (sources: in the configuration).")
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

// feedRows returns the configured feeds in configuration order with the
// store's polling state.
func feedRows(cfg *config.Config, srcs []herald.Source) []feedRow {
	byName := make(map[string]herald.Source, len(srcs))
	for _, s := range srcs {
		byName[s.Name] = s
	}
	rows := make([]feedRow, 0, len(cfg.Sources))
	for _, c := range cfg.Sources {
		s := byName[c.Name]
		r := feedRow{Name: c.Name, URL: herald.RedactURL(c.URL), LastPollAt: utcPtr(s.LastPolledAt), LastStatus: s.LastStatus,
			LastError: s.LastError, Failures: s.Failures, Articles: s.ArticleCount, NextPollAt: utcPtr(s.NextPollAt)}
		switch {
		case s.LastPolledAt.IsZero():
			r.Status = feedNever
		case s.LastError != "" || s.Failures > 0:
			r.Status = feedFailing
		default:
			r.Status = feedOK
		}
		rows = append(rows, r)
	}
	return rows
}

func feedColumns(now time.Time) []column[feedRow] {
	return []column[feedRow]{
		{head: "NAME", cell: func(r feedRow) string { return r.Name }},
		{head: "STATUS", cell: func(r feedRow) string { return r.Status }, color: func(r feedRow) string {
			return map[string]string{feedOK: "32", feedFailing: "31", feedNever: "2"}[r.Status]
		}},
		{head: "LAST POLL", cell: func(r feedRow) string { return when(r.LastPollAt, now) }},
		{head: "NEXT POLL", cell: func(r feedRow) string {
			if r.NextPollAt != nil && !r.NextPollAt.After(now) {
				return "due"
			}
			return when(r.NextPollAt, now)
		}},
		{head: "ARTICLES", right: true, cell: func(r feedRow) string { return strconv.Itoa(r.Articles) }},
		{head: "FAILURES", right: true, cell: func(r feedRow) string { return strconv.Itoa(r.Failures) }},
		{head: "URL", flex: true, cell: func(r feedRow) string { return r.URL }},
		{head: "ERROR", flex: true, cell: func(r feedRow) string { return dash(r.LastError) },
			color: func(r feedRow) string { return iff(r.LastError != "", "31") }},
	}
}

// feedItemRow is one item of a feed as Herald would record it.
type feedItemRow struct {
	Title       string     `json:"title"`
	URL         string     `json:"url"` // canonical
	GUID        string     `json:"guid"`
	PublishedAt *time.Time `json:"published_at"`
	Categories  []string   `json:"categories"`
	Author      string     `json:"author"`
	ImageURL    string     `json:"image_url"`
	Summary     string     `json:"summary"`
	Stale       bool       `json:"stale"`    // older than publish.max_age: recorded, never posted
	Breaking    bool       `json:"breaking"` // a category in publish.breaking_categories
}

// feedInfo is what a feed says about itself.
type feedInfo struct {
	Title   string `json:"title"`
	Link    string `json:"link"`
	Format  string `json:"format"`
	HubURL  string `json:"hub_url"`
	SelfURL string `json:"self_url"`
	Items   int    `json:"items"`
	Skipped int    `json:"skipped"` // items without a usable link
}

func newFeedsCheckCmd(a *App) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "check URL|SOURCE",
		Short: "Fetch and parse a feed once and print its items as Herald sees them",
		Long: `Fetch a feed once (http, https or file://) and print what Herald would
record from it: each item's plain-text title, canonical URL, GUID,
publication time and categories, and the feed's title, format and WebSub hub.
Nothing is stored and nothing is posted. A configured source's name may be
given instead of its URL. The feed's timeout, size cap and User-Agent are
the configured ones (feed.*).

With --format json the result is {"feed": {...}, "items": [...]}; with
--format csv the items alone.`,
		Example: "  herald feeds check https://example.com/rss/world.xml\n" +
			"  herald feeds check world\n  herald feeds check file://testdata/feeds/sample.xml --format json",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			url := args[0]
			names := make([]string, 0, len(cfg.Sources))
			for _, s := range cfg.Sources {
				names = append(names, s.Name)
				if s.Name == url {
					url = s.URL
				}
			}
			if !strings.Contains(url, ":") {
				return notFoundErrorf("no source is named %q (sources: %s); give a source's name or a feed's URL",
					url, strings.Join(names, ", "))
			}
			opts := feedOptions(cfg, nil)
			opts.Now = a.now
			items, fi, err := feed.Check(cmd.Context(), url, opts)
			if err != nil {
				return err
			}
			return a.printFeedCheck(format, feedInfo{Title: fi.Title, Link: fi.Link, Format: fi.Format,
				HubURL: herald.RedactURL(fi.HubURL), SelfURL: herald.RedactURL(fi.SelfURL), Items: fi.Items, Skipped: fi.Skipped}, itemRows(items))
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func itemRows(items []herald.ArticleInput) []feedItemRow {
	rows := make([]feedItemRow, 0, len(items))
	for _, it := range items {
		cats := it.Categories
		if cats == nil {
			cats = []string{}
		}
		rows = append(rows, feedItemRow{Title: it.Title, URL: it.URL, GUID: it.GUID, PublishedAt: utcPtr(it.PublishedAt),
			Categories: cats, Author: it.Author, ImageURL: it.ImageURL, Summary: it.Summary, Stale: it.Stale,
			Breaking: it.Priority >= herald.PriorityBreaking})
	}
	return rows
}

func (a *App) printFeedCheck(format string, fi feedInfo, rows []feedItemRow) error {
	switch format {
	case "json":
		if rows == nil {
			rows = []feedItemRow{}
		}
		return writeJSON(a, "", struct {
			Feed  feedInfo      `json:"feed"`
			Items []feedItemRow `json:"items"`
		}{fi, rows})
	case "csv":
		return writeCSV(a, rows)
	}
	items := fmt.Sprint(fi.Items)
	if fi.Skipped > 0 {
		items += fmt.Sprintf(" (%d without a usable link, left out)", fi.Skipped)
	}
	fmt.Fprintf(a.Out(), "Feed:    %s\nFormat:  %s\nSite:    %s\nHub:     %s\nItems:   %s\n\n",
		dash(cleanCell(fi.Title)), dash(fi.Format), dash(fi.Link), dash(fi.HubURL), items)
	now := a.now()
	return writeRows(a, format, "items", rows, []column[feedItemRow]{
		{head: "PUBLISHED", cell: func(r feedItemRow) string { return when(r.PublishedAt, now) }},
		{head: "TITLE", flex: true, cell: func(r feedItemRow) string { return r.Title }},
		{head: "URL", flex: true, cell: func(r feedItemRow) string { return r.URL }},
		{head: "GUID", cell: func(r feedItemRow) string { return dash(cutText(r.GUID, 40)) }},
		{head: "CATEGORIES", cell: func(r feedItemRow) string { return dash(strings.Join(r.Categories, ", ")) }},
		{head: "NOTE", cell: func(r feedItemRow) string {
			var notes []string
			if r.Stale {
				notes = append(notes, "stale")
			}
			if r.Breaking {
				notes = append(notes, "breaking")
			}
			return dash(strings.Join(notes, ", "))
		}, color: func(r feedItemRow) string { return iff(r.Breaking, "33") }},
	}, "The feed has no items Herald would record.")
}

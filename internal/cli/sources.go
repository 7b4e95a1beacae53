package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// sourceRow is one source as `herald sources` shows it. The subscription
// secret is never part of it.
type sourceRow struct {
	Name         string     `json:"name"`
	URL          string     `json:"url,omitempty"`
	FedBy        string     `json:"fed_by"` // "webhook", "websub" or "polling"
	WebSub       bool       `json:"websub"` // websub: true in the configuration
	HubURL       string     `json:"hub_url,omitempty"`
	PushState    string     `json:"push_state,omitempty"`
	LeaseUntil   *time.Time `json:"lease_until,omitempty"`
	LastPolledAt *time.Time `json:"last_polled_at,omitempty"`
	LastStatus   int        `json:"last_status,omitempty"`
	LastError    string     `json:"last_error,omitempty"`
	Failures     int        `json:"failures"`
	Articles     int        `json:"articles"`
}

func newSourcesCmd(a *App) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "sources",
		Short: "Show each source: polled or push-fed, its WebSub hub and lease, last poll and error",
		Long: `Show every source Herald records articles from: the configured feeds and
the push-only "webhook" source. FED BY says how new stories arrive now:
"webhook" (the CMS pushes them), "websub" (the feed's hub pushes them under an
active lease; the feed is still polled, less often) or "polling".`,
		Example: "  herald sources\n  herald sources --format json\n  herald sources --format csv",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, srcs, err := a.readSources(cmd.Context(), format)
			if err != nil {
				return err
			}
			now := a.now()
			return writeRows(a, format, "sources", sourceRows(cfg, srcs, now), sourceColumns(now), "")
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

// readSources returns the configuration and the sources in the store, for
// a command that lists them in format (checked first, before any reading).
func (a *App) readSources(ctx context.Context, format string) (*config.Config, []herald.Source, error) {
	if err := checkFormat(format); err != nil {
		return nil, nil, err
	}
	cfg, err := a.Config()
	if err != nil {
		return nil, nil, err
	}
	var srcs []herald.Source
	err = a.readStore(ctx, func(st herald.Store) error {
		srcs, err = st.ListSources(ctx)
		if err != nil {
			return fmt.Errorf("list sources: %w", err)
		}
		return nil
	})
	return cfg, srcs, err
}

// sourceRows joins the store's sources with the configuration's websub flags.
func sourceRows(cfg *config.Config, srcs []herald.Source, now time.Time) []sourceRow {
	websub := map[string]bool{}
	configured := map[string]bool{}
	for _, s := range cfg.Sources {
		configured[s.Name] = true
		websub[s.Name] = s.WebSub
	}
	rows := make([]sourceRow, 0, len(srcs))
	for _, s := range srcs {
		r := sourceRow{Name: s.Name, URL: herald.RedactURL(s.URL), WebSub: websub[s.Name], HubURL: herald.RedactURL(s.HubURL),
			PushState: s.PushState, LastStatus: s.LastStatus, LastError: s.LastError,
			Failures: s.Failures, Articles: s.ArticleCount, FedBy: "polling"}
		switch {
		case !configured[s.Name] && s.URL == "":
			r.FedBy = "webhook"
		case r.WebSub && (s.PushState == "active" || s.PushState == "pending") && s.PushLeaseUntil.After(now):
			r.FedBy = "websub"
		}
		if !s.PushLeaseUntil.IsZero() {
			t := s.PushLeaseUntil
			r.LeaseUntil = &t
		}
		if !s.LastPolledAt.IsZero() {
			t := s.LastPolledAt
			r.LastPolledAt = &t
		}
		rows = append(rows, r)
	}
	return rows
}

// sourceColumns are the columns of the sources table.
func sourceColumns(now time.Time) []column[sourceRow] {
	return []column[sourceRow]{
		{head: "NAME", cell: func(r sourceRow) string { return r.Name }},
		{head: "FED BY", cell: func(r sourceRow) string { return r.FedBy }},
		{head: "URL", cell: func(r sourceRow) string { return dash(r.URL) }},
		{head: "HUB", cell: func(r sourceRow) string { return dash(r.HubURL) }},
		{head: "PUSH", cell: func(r sourceRow) string {
			switch {
			case r.PushState != "":
				return r.PushState
			case r.WebSub && r.HubURL == "":
				return "no hub"
			case r.WebSub:
				return "not yet"
			}
			return "-"
		}},
		{head: "LEASE UNTIL", cell: func(r sourceRow) string { return when(r.LeaseUntil, now) }},
		{head: "LAST POLL", cell: func(r sourceRow) string { return when(r.LastPolledAt, now) }},
		{head: "ARTICLES", right: true, cell: func(r sourceRow) string { return fmt.Sprint(r.Articles) }},
		{head: "ERROR", flex: true, cell: func(r sourceRow) string { return dash(cutText(r.LastError, 60)) },
			color: func(r sourceRow) string { return iff(r.LastError != "", "31") }},
	}
}

package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/olekukonko/tablewriter"
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
		Example: "  herald sources\n  herald sources --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usageErrorf("--format: must be table or json, not %q", format)
			}
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			st, err := a.OpenStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			srcs, err := st.ListSources(cmd.Context())
			if err != nil {
				return fmt.Errorf("list sources: %w", err)
			}
			rows := sourceRows(cfg, srcs, time.Now())
			if format == "json" {
				return a.PrintJSON(rows)
			}
			return printSources(a.Out(), rows, time.Now())
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
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
		r := sourceRow{Name: s.Name, URL: s.URL, WebSub: websub[s.Name], HubURL: s.HubURL,
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

func printSources(w io.Writer, rows []sourceRow, now time.Time) error {
	t := tablewriter.NewWriter(w)
	t.Header("Name", "Fed by", "URL", "Hub", "Push", "Lease until", "Last poll", "Articles", "Error")
	for _, r := range rows {
		push := r.PushState
		switch {
		case push == "" && r.WebSub && r.HubURL == "":
			push = "no hub"
		case push == "" && r.WebSub:
			push = "not yet"
		case push == "":
			push = "-"
		}
		lastErr := r.LastError
		if rs := []rune(lastErr); len(rs) > 60 {
			lastErr = string(rs[:59]) + "…"
		}
		if err := t.Append(r.Name, r.FedBy, dash(r.URL), dash(r.HubURL), push, when(r.LeaseUntil, now),
			when(r.LastPolledAt, now), fmt.Sprint(r.Articles), dash(lastErr)); err != nil {
			return err
		}
	}
	return t.Render()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// when shows a time relative to now ("3m ago", "in 9d 23h"), "-" when unset.
func when(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	d := t.Sub(now)
	if d < 0 {
		return short(-d) + " ago"
	}
	return "in " + short(d)
}

func short(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// daemonProbeTimeout bounds the look for a running daemon.
const daemonProbeTimeout = time.Second

// daemonStatus is what GET /healthz on http.addr said.
type daemonStatus struct {
	URL     string `json:"url"`
	Running bool   `json:"running"`
	Error   string `json:"error"` // why it is taken as not running, or why its HTTP server does not answer
	// UsesDatabase: a daemon holds this SQLite database's marker (see
	// markDaemon); null when that cannot be known (PostgreSQL).
	UsesDatabase *bool `json:"uses_database"`
}

// probeDaemon tells whether a Herald daemon serves http.addr: it asks
// GET /healthz there (on 127.0.0.1 when the address listens on every
// interface) and takes a 200 "ok" within timeout as yes. Commands that send
// (repost) leave their jobs to a running daemon, so its spacing and caps
// hold; with no answer they send themselves. A daemon on another machine
// sharing the database is not seen.
func probeDaemon(ctx context.Context, addr string, timeout time.Duration) daemonStatus {
	st := daemonStatus{URL: healthzURL(addr)}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.URL, nil)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		st.Error = probeError(err)
		return st
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	switch {
	case resp.StatusCode != http.StatusOK:
		st.Error = "HTTP " + resp.Status
	case !strings.HasPrefix(strings.TrimSpace(string(body)), "ok"):
		st.Error = "not a Herald daemon (unexpected /healthz answer)"
	default:
		st.Running = true
	}
	return st
}

// probeError is the cause of a failed probe without the URL around it.
func probeError(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Op + ": " + op.Err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return "no answer within " + daemonProbeTimeout.String()
	}
	return err.Error()
}

// healthzURL is the /healthz URL of a daemon listening on addr.
func healthzURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/healthz"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}

// statusReport is `herald status` as JSON (after the configuration and
// the database, see writeJSON).
type statusReport struct {
	Daemon   daemonStatus        `json:"daemon"`
	Sources  sourcesStatus       `json:"sources"`
	Queue    map[string]int      `json:"queue"` // jobs by state
	Accounts []accountStatusLine `json:"accounts"`
}

type sourcesStatus struct {
	Total   int             `json:"total"`
	OK      int             `json:"ok"`
	Failing []failingSource `json:"failing"`
}

type failingSource struct {
	Name         string     `json:"name"`
	Failures     int        `json:"failures"` // failed polls in a row
	LastStatus   int        `json:"last_status"`
	LastError    string     `json:"last_error"`
	LastPolledAt *time.Time `json:"last_polled_at"`
}

// accountStatusLine is an account's state (as herald accounts shows it)
// and its last post.
type accountStatusLine struct {
	accountRow
	LastPost *lastPost `json:"last_post"`
}

type lastPost struct {
	JobID     int64     `json:"job_id"`
	Title     string    `json:"title"`
	SentAt    time.Time `json:"sent_at"`
	Permalink string    `json:"permalink"`
	Deleted   bool      `json:"deleted"` // since deleted (herald delete), or gone from the network
}

// statusLine is one line of `herald status --format csv`: every part of
// the status as kind, name, status and detail.
type statusLine struct {
	Kind   string `json:"kind"` // daemon, source, queue, account
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

func newStatusCmd(a *App) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "One screen: daemon, sources, queue, accounts and each account's last post",
		Long: `Show at a glance whether Herald is doing its work:

  daemon    whether a daemon runs for this configuration's database (for
            SQLite, one holding its PATH.daemon lock; a daemon of another
            installation answering on http.addr does not count) and
            answers GET /healthz on http.addr (within 1s)
  sources   how many feeds poll fine, and which keep failing, with the error
  queue     jobs by state: pending, sending, sent, skipped, failed
  accounts  each account's state (ok, paused, held, budget), its posts today,
            and its last post with the permalink

--format json gives the same as one object; --format csv one line per part
(kind, name, status, detail). The exit status is 3 when the daemon is not
running (the status is printed all the same), as service managers answer.`,
		Example: "  herald status\n  herald status --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			var rep statusReport
			err = a.readStore(cmd.Context(), func(st herald.Store) (err error) {
				rep, err = gatherStatus(cmd.Context(), cfg, st, a.now())
				return err
			})
			if errors.Is(err, errNoDatabase) {
				return &notRunningErr{fmt.Errorf("the daemon is not running: %w", err)}
			}
			if err != nil {
				return err
			}
			switch format {
			case "json":
				err = writeJSON(a, "", rep)
			case "csv":
				err = writeRows(a, format, "", rep.lines(a.now()), nil, "")
			default:
				err = a.printStatus(rep, a.now())
			}
			if err == nil && !rep.Daemon.Running {
				_, detail := rep.daemonLine()
				err = &notRunningErr{fmt.Errorf("the daemon is not running (%s)", detail)}
			}
			return err
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

// gatherStatus reads everything status shows.
func gatherStatus(ctx context.Context, cfg *config.Config, st herald.Store, now time.Time) (statusReport, error) {
	rep := statusReport{Daemon: probeDaemon(ctx, cfg.HTTP.Addr, daemonProbeTimeout), Queue: map[string]int{},
		Sources: sourcesStatus{Failing: []failingSource{}}, Accounts: []accountStatusLine{}}
	if err := matchDaemon(&rep.Daemon, cfg.Database.URL); err != nil {
		return rep, err
	}
	srcs, err := st.ListSources(ctx)
	if err != nil {
		return rep, fmt.Errorf("list sources: %w", err)
	}
	for _, s := range srcs {
		if s.URL == "" {
			continue // push-only (webhook, adhoc): never polled
		}
		rep.Sources.Total++
		if s.Failures == 0 {
			rep.Sources.OK++
			continue
		}
		rep.Sources.Failing = append(rep.Sources.Failing, failingSource{Name: s.Name, Failures: s.Failures,
			LastStatus: s.LastStatus, LastError: s.LastError, LastPolledAt: utcPtr(s.LastPolledAt)})
	}
	counts, err := st.CountJobs(ctx, "")
	if err != nil {
		return rep, fmt.Errorf("count jobs: %w", err)
	}
	for _, s := range herald.JobStates {
		rep.Queue[string(s)] = counts[s]
	}
	accts, err := st.ListAccounts(ctx, now)
	if err != nil {
		return rep, fmt.Errorf("list accounts: %w", err)
	}
	for _, acct := range accts {
		line := accountStatusLine{accountRow: newAccountRow(cfg, acct, now)}
		jobs, err := st.ListJobs(ctx, herald.JobFilter{States: []herald.JobState{herald.JobSent}, Account: acct.ID, Limit: 1})
		if err != nil {
			return rep, fmt.Errorf("last post of %s: %w", acct.ID, err)
		}
		if len(jobs) > 0 {
			j := jobs[0]
			line.LastPost = &lastPost{JobID: j.ID, SentAt: j.SentAt.UTC(), Permalink: j.Permalink,
				Deleted: !j.DeletedAt.IsZero() || j.RemoteGone}
			if j.Article != nil {
				line.LastPost.Title = j.Article.Title
			}
		}
		rep.Accounts = append(rep.Accounts, line)
	}
	return rep, nil
}

// matchDaemon settles whether the daemon of this database runs: for SQLite
// the database's marker says so, whatever answers on http.addr (a daemon of
// another installation may); elsewhere the probe alone does.
func matchDaemon(d *daemonStatus, dbURL string) error {
	inUse, known, err := daemonUses(dbURL)
	if err != nil || !known {
		return err
	}
	d.UsesDatabase = &inUse
	switch {
	case inUse && !d.Running:
		d.Running = true // its HTTP server may be elsewhere or starting; Error says why it did not answer
	case !inUse && d.Running:
		d.Running = false
		d.Error = "the daemon answering there uses another database"
	}
	return nil
}

// daemonLine says whether the daemon runs.
func (r statusReport) daemonLine() (status, detail string) {
	uses := r.Daemon.UsesDatabase != nil && *r.Daemon.UsesDatabase
	switch {
	case r.Daemon.Running && uses && r.Daemon.Error != "":
		return "running", "it uses this database; no answer at " + r.Daemon.URL + ": " + r.Daemon.Error
	case r.Daemon.Running && uses:
		return "running", "it uses this database; " + r.Daemon.URL + " answers"
	case r.Daemon.Running:
		return "running", r.Daemon.URL + " answers"
	case r.Daemon.UsesDatabase != nil && r.Daemon.Error == "the daemon answering there uses another database":
		return "not running", "no daemon uses this database; the one answering at " + r.Daemon.URL + " uses another"
	}
	return "not running", "no answer at " + r.Daemon.URL + ": " + r.Daemon.Error
}

// lines flattens the report for CSV.
func (r statusReport) lines(now time.Time) []statusLine {
	status, detail := r.daemonLine()
	out := []statusLine{{Kind: "daemon", Name: "herald run", Status: status, Detail: detail}}
	failing := map[string]bool{}
	for _, s := range r.Sources.Failing {
		failing[s.Name] = true
		out = append(out, statusLine{Kind: "source", Name: s.Name, Status: "failing", Detail: sourceProblem(s, now)})
	}
	out = append(out, statusLine{Kind: "sources", Name: "all", Status: fmt.Sprintf("%d ok", r.Sources.OK),
		Detail: fmt.Sprintf("%d failing of %d", len(r.Sources.Failing), r.Sources.Total)})
	for _, st := range herald.JobStates {
		s := string(st)
		out = append(out, statusLine{Kind: "queue", Name: s, Status: strconv.Itoa(r.Queue[s])})
	}
	for _, l := range r.Accounts {
		out = append(out, statusLine{Kind: "account", Name: l.ID, Status: l.Status, Detail: l.summary(now)})
	}
	return out
}

// sourceProblem says what is wrong with a failing source.
func sourceProblem(s failingSource, now time.Time) string {
	what := cleanCell(s.LastError)
	if what == "" && s.LastStatus != 0 {
		what = "HTTP " + strconv.Itoa(s.LastStatus)
	}
	return fmt.Sprintf("%d failed polls in a row, last %s: %s", s.Failures, when(s.LastPolledAt, now), dash(what))
}

// summary is an account's line of detail: why it is not ok, its posts
// today and its last post.
func (l accountStatusLine) summary(now time.Time) string {
	var parts []string
	switch l.Status {
	case acctPaused:
		parts = append(parts, "paused: "+l.PauseReason)
	case acctHeld:
		parts = append(parts, "held for "+strings.TrimPrefix(when(l.HoldUntil, now), "in ")+": "+l.HoldReason)
	case acctBudget:
		parts = append(parts, fmt.Sprintf("monthly budget %s spent", usd(l.MonthlyBudget)))
	}
	parts = append(parts, fmt.Sprintf("%d sent today, %d pending", l.SentToday, l.PendingJobs))
	if p := l.LastPost; p != nil {
		parts = append(parts, "last post "+ago(p.SentAt, now)+" "+dash(p.Permalink)+iffStr(p.Deleted, " (deleted)"))
	} else {
		parts = append(parts, "no post yet")
	}
	return cleanCell(strings.Join(parts, "; "))
}

// printStatus writes the one-screen status.
func (a *App) printStatus(r statusReport, now time.Time) error {
	color := a.Color()
	paint := func(code, s string) string {
		if !color || code == "" {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	var b strings.Builder
	if a.Interactive() && a.using != nil {
		fmt.Fprintf(&b, "%s  %s, database %s\n", paint("1", "Using:   "), dash(a.using.Config), a.using.Database)
	}
	status, detail := r.daemonLine()
	code := "33"
	if r.Daemon.Running {
		code = "32"
	}
	fmt.Fprintf(&b, "%s  %s (%s)\n", paint("1", "Daemon:  "), paint(code, status), cleanCell(detail))
	srcs := fmt.Sprintf("%d ok", r.Sources.OK)
	if n := len(r.Sources.Failing); n > 0 {
		srcs += ", " + paint("31", fmt.Sprintf("%d failing", n))
	}
	fmt.Fprintf(&b, "%s  %s (of %d polled feeds)\n", paint("1", "Sources: "), srcs, r.Sources.Total)
	for _, s := range r.Sources.Failing {
		fmt.Fprintf(&b, "           %s: %s\n", s.Name, sourceProblem(s, now))
	}
	var q []string
	for _, st := range herald.JobStates {
		s := string(st)
		n := strconv.Itoa(r.Queue[s])
		if s == "failed" && r.Queue[s] > 0 {
			n = paint("31", n)
		}
		q = append(q, s+" "+n)
	}
	fmt.Fprintf(&b, "%s  %s\n", paint("1", "Queue:   "), strings.Join(q, ", "))
	if _, err := fmt.Fprintf(a.Out(), "%s%s\n", b.String(), paint("1", "Accounts:")); err != nil {
		return err
	}
	return writeRows(a, "table", "", r.Accounts, statusAccountColumns(now), "  No accounts are configured (accounts: in the configuration).")
}

func statusAccountColumns(now time.Time) []column[accountStatusLine] {
	return []column[accountStatusLine]{
		{head: "ACCOUNT", cell: func(l accountStatusLine) string { return l.ID }},
		{head: "NETWORK", cell: func(l accountStatusLine) string { return l.Network }},
		{head: "STATUS", flex: true, cell: func(l accountStatusLine) string {
			switch l.Status {
			case acctPaused:
				return "paused: " + l.PauseReason
			case acctHeld:
				return "held for " + strings.TrimPrefix(when(l.HoldUntil, now), "in ") + ": " + l.HoldReason
			}
			return l.Status
		}, color: func(l accountStatusLine) string {
			return map[string]string{acctOK: "32", acctPaused: "31", acctHeld: "33", acctBudget: "31", acctNotConfigured: "2"}[l.Status]
		}},
		{head: "TODAY", right: true, cell: func(l accountStatusLine) string { return strconv.Itoa(l.SentToday) }},
		{head: "PENDING", right: true, cell: func(l accountStatusLine) string { return strconv.Itoa(l.PendingJobs) }},
		{head: "SPENT", right: true, cell: func(l accountStatusLine) string { return usd(l.MonthSpend) }},
		{head: "LAST POST", cell: func(l accountStatusLine) string {
			if l.LastPost == nil {
				return "-"
			}
			return ago(l.LastPost.SentAt, now)
		}},
		{head: "PERMALINK", flex: true, cell: func(l accountStatusLine) string {
			if l.LastPost == nil {
				return "-"
			}
			return dash(l.LastPost.Permalink) + iffStr(l.LastPost.Deleted, " (deleted)")
		}},
	}
}

// iffStr returns s when cond holds and "" otherwise.
func iffStr(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

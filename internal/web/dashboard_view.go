package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

// Dashboard contents.
const (
	dashboardStories = 10 // top stories listed
	dashboardCharts  = 5  // of which get an engagement chart
	dashboardFails   = 10 // recent failures listed
	tokenWarnBefore  = 7 * 24 * time.Hour
	dashboardTimeout = 15 * time.Second
	maxErrorText     = 240
)

// dashboardWindows are the windows offered (the first is the default).
var dashboardWindows = []string{"24h", "7d", "30d"}

// choice is a link of a selector (window, network, ranking).
type choice struct {
	Label, Href string
	Current     bool
}

// storyView is one ranked story.
type storyView struct {
	herald.ReportRow
	Bars  barChart
	Spark line
	Chart *lineChart // only for the first dashboardCharts stories
}

// failureView is a failed job.
type failureView struct {
	JobID   int64
	Account string
	Title   string
	Kind    string
	Error   string
	At      time.Time
}

// accountView is an account's health.
type accountView struct {
	herald.Account
	Status      string
	Warn        bool
	TokenWarn   bool
	TokenExpiry time.Time
}

// sourceView is a source's health.
type sourceView struct {
	Name       string
	Articles   int
	LastPolled time.Time
	NextPoll   time.Time
	Push       string
	Failing    bool
	Failures   int
	Error      string
}

// dashboardData is what templates/dashboard.html shows.
type dashboardData struct {
	Now      time.Time
	Window   string
	Windows  []choice
	Networks []choice
	Rankings []choice
	By       string
	Stories  []storyView
	Queue    barChart
	QueueSum int64
	Failures []failureView
	Accounts []accountView
	Sources  []sourceView
	Failing  int
	Problems []string // parts of the page that could not be loaded
	LoggedIn bool     // a session cookie is in use: offer to log out
	CSRF     string   // the logout form's token
}

func (d *dashboard) handleDashboard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	window, network, by := q.Get("since"), q.Get("network"), q.Get("by")
	if window == "" {
		window = dashboardWindows[0]
	}
	p := rank.Params{Since: window, Network: network, By: by, Limit: dashboardStories}
	query, err := p.Query(d.s.opts.Now(), d.opts.Weights)
	if err != nil {
		d.message(w, http.StatusBadRequest, "Bad request", err.Error(), "")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), dashboardTimeout)
	defer cancel()
	data := d.collect(ctx, query, p)
	data.Window, data.By = window, query.By
	data.Windows, data.Networks, data.Rankings = selectors(p, query, offeredNetworks(data.Accounts, query.Network))
	_, err = r.Cookie(sessionCookie)
	data.LoggedIn = err == nil && d.auth.token != ""
	if data.LoggedIn {
		data.CSRF = d.auth.formToken(w, r)
	}
	setPageSecurity(w)
	d.page(w, http.StatusOK, "dashboard.html", data)
}

// collect loads every part of the page; a part that fails is named in
// Problems and the rest is still shown.
func (d *dashboard) collect(ctx context.Context, query herald.ReportQuery, p rank.Params) dashboardData {
	st, now := d.s.opts.Store, d.s.opts.Now()
	data := dashboardData{Now: now}
	problem := func(part string, err error) {
		d.s.logger.Error("dashboard", "part", part, "error", err)
		data.Problems = append(data.Problems, part+": "+scrub(err.Error()))
	}
	rows, err := st.Report(ctx, query)
	if err != nil {
		problem("top stories", err)
	}
	var top int64
	for _, r := range rows {
		for _, s := range sharesByNetwork(r, query.Network) {
			top = max(top, s.Value)
		}
	}
	for i, r := range rows {
		sv := storyView{ReportRow: r, Bars: newBarChart(sharesByNetwork(r, query.Network), top)}
		pts, err := st.Series(ctx, r.ArticleID, query.Since)
		if err != nil {
			problem("engagement of "+r.Title, err)
		}
		sv.Spark = newSparkline(pts)
		if i < dashboardCharts {
			c := newLineChart(pts)
			sv.Chart = &c
		}
		data.Stories = append(data.Stories, sv)
	}
	if counts, err := st.CountJobs(ctx, ""); err != nil {
		problem("queue", err)
	} else {
		data.Queue, data.QueueSum = queueChart(counts)
	}
	if jobs, err := st.ListJobs(ctx, herald.JobFilter{States: []herald.JobState{herald.JobFailed}, Limit: dashboardFails}); err != nil {
		problem("failures", err)
	} else {
		data.Failures = failures(jobs)
	}
	if accts, err := st.ListAccounts(ctx, now); err != nil {
		problem("accounts", err)
	} else {
		data.Accounts = accounts(accts, now)
	}
	if srcs, err := st.ListSources(ctx); err != nil {
		problem("sources", err)
	} else {
		data.Sources, data.Failing = sources(srcs)
	}
	return data
}

// offeredNetworks are the networks the network selector offers: those of
// the accounts (and the one chosen), in rank.Networks' order, or all of
// them when no account is known.
func offeredNetworks(accts []accountView, chosen herald.Network) []herald.Network {
	if len(accts) == 0 {
		return rank.Networks
	}
	var out []herald.Network
	for _, n := range rank.Networks {
		if n == chosen || slices.ContainsFunc(accts, func(a accountView) bool { return a.Network == n }) {
			out = append(out, n)
		}
	}
	return out
}

// selectors builds the window, network (All, then each of nets) and ranking
// links, keeping the other choices.
func selectors(p rank.Params, q herald.ReportQuery, nets []herald.Network) (windows, networks, rankings []choice) {
	link := func(since, network, by string) string {
		v := url.Values{}
		if since != dashboardWindows[0] {
			v.Set("since", since)
		}
		if network != "" {
			v.Set("network", network)
		}
		if by != rank.Rankings[0] {
			v.Set("by", by)
		}
		if len(v) == 0 {
			return "/"
		}
		return "/?" + v.Encode()
	}
	since := p.Since
	for _, w := range dashboardWindows {
		windows = append(windows, choice{w, link(w, string(q.Network), q.By), w == since})
	}
	networks = append(networks, choice{"All", link(since, "", q.By), q.Network == ""})
	for _, n := range nets {
		networks = append(networks, choice{networkLabel(n), link(since, string(n), q.By), q.Network == n})
	}
	for _, b := range rank.ReportRankings {
		rankings = append(rankings, choice{b, link(since, string(q.Network), b), q.By == b})
	}
	return windows, networks, rankings
}

// queueStates are the job states in the queue chart's order.
var queueStates = herald.JobStates

func queueChart(counts herald.JobCounts) (barChart, int64) {
	var top, total int64
	shares := make([]networkShare, 0, len(queueStates))
	for _, s := range queueStates {
		n := int64(counts[s])
		top, total = max(top, n), total+n
		shares = append(shares, networkShare{Label: string(s), Class: "st-" + string(s), Value: n})
	}
	return newBarChart(shares, top), total
}

func failures(jobs []herald.Job) []failureView {
	out := make([]failureView, 0, len(jobs))
	for _, j := range jobs {
		f := failureView{JobID: j.ID, Account: j.Account, Kind: string(j.ErrorKind), Error: scrub(j.LastError), At: j.UpdatedAt}
		if j.Article != nil {
			f.Title = j.Article.Title
		}
		out = append(out, f)
	}
	return out
}

func accounts(accts []herald.Account, now time.Time) []accountView {
	out := make([]accountView, 0, len(accts))
	for _, a := range accts {
		v := accountView{Account: a, Status: "ok", TokenExpiry: a.TokenExpiresAt}
		v.PauseReason, v.HoldReason = scrub(a.PauseReason), scrub(a.HoldReason)
		switch {
		case a.Paused:
			v.Status, v.Warn = "paused", true
		case a.HoldUntil.After(now):
			v.Status, v.Warn = "on hold", true
		}
		v.TokenWarn = !a.TokenExpiresAt.IsZero() && a.TokenExpiresAt.Before(now.Add(tokenWarnBefore))
		out = append(out, v)
	}
	return out
}

// sources lists failing sources first, then by name, without their URLs
// (a feed URL may carry a key).
func sources(srcs []herald.Source) ([]sourceView, int) {
	out := make([]sourceView, 0, len(srcs))
	failing := 0
	for _, s := range srcs {
		v := sourceView{Name: s.Name, Articles: s.ArticleCount, LastPolled: s.LastPolledAt, NextPoll: s.NextPollAt,
			Push: s.PushState, Failures: s.Failures, Failing: s.LastError != "" || s.Failures > 0, Error: scrub(s.LastError)}
		if s.URL == "" {
			v.NextPoll = time.Time{} // push-only: never polled
		}
		if v.Failing {
			failing++
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b sourceView) int {
		if a.Failing != b.Failing {
			if a.Failing {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, failing
}

// urlSecrets matches the parts of a URL in a message that may carry a
// secret: user info and the query string.
var urlSecrets = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)([^/\s"'@]*@)?([^\s"'?#]*)(\?[^\s"'#]*)?`)

// scrub removes what may be secret from a message shown on the dashboard
// (credentials and query strings of URLs) and shortens it.
func scrub(s string) string {
	s = urlSecrets.ReplaceAllStringFunc(s, func(u string) string {
		m := urlSecrets.FindStringSubmatch(u)
		out := m[1] + m[3]
		if m[4] != "" {
			out += "?…"
		}
		return out
	})
	if utf8.RuneCountInString(s) > maxErrorText {
		s = string([]rune(s)[:maxErrorText]) + "…"
	}
	return s
}

// Package digest posts each account's daily digest: the day's most shared
// stories by Herald's own ranking, as a thread where the network has them
// (X, Mastodon, Bluesky: each part answers the one before) and as one post
// with the list on Facebook. Every part is a job of the outbox created under
// the key (account, day, part), so the dispatcher's exactly-once machinery
// sends it, and a thread's next part is created only once the part before
// was sent: a digest is posted once per account and day across restarts and
// instances, and a thread interrupted by a crash is completed, not restarted.
package digest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

// Defaults of a digest.
const (
	DefaultCount    = 5
	DefaultBy       = "shares"
	DefaultTitle    = "Most shared today"
	DefaultTemplate = "{{.Rank}}. {{.Title}} {{.URL}}"
	DefaultSince    = 24 * time.Hour
)

// Config is one account's digest.
type Config struct {
	Account  string
	Network  herald.Network
	Schedule string         // a standard cron expression in Location ("0 19 * * *")
	Location *time.Location // the account's time zone [UTC]
	Count    int            // stories [DefaultCount]
	Since    time.Duration  // stories published this long before the digest [DefaultSince]
	By       string         // ranking [DefaultBy]
	Title    string         // the first part's opening line [DefaultTitle]
	// Template is a story's line, a text/template over Line [DefaultTemplate].
	Template string
	// Link is the link a line shows for an article URL: the account's
	// tagged URL (compose's TagURL), the link the post is then reconciled
	// by. Nil: the article's URL.
	Link func(url string) string
	// Fits reports whether a post's text is within the network's limit
	// (compose's Length and Limit). Nil: every text fits.
	Fits func(text string) bool
}

// Line is what a story's line template sees.
type Line struct {
	Rank                  int
	Title, URL, Section   string
	Shares, Views, Clicks int64
}

// Store is what a digest reads and writes.
type Store interface {
	Report(ctx context.Context, q herald.ReportQuery) ([]herald.ReportRow, error)
	GetArticle(ctx context.Context, id int64) (herald.Article, error)
	herald.DigestStore
}

// Digest is one account's digest schedule and composition.
type Digest struct {
	cfg   Config
	sched cron.Schedule
	line  *template.Template
}

// New checks cfg and returns its digest. Errors name the key at fault
// (schedule, count, by, template).
func New(cfg Config) (*Digest, error) {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Count == 0 {
		cfg.Count = DefaultCount
	}
	if cfg.By == "" {
		cfg.By = DefaultBy
	}
	if cfg.Since == 0 {
		cfg.Since = DefaultSince
	}
	if cfg.Title == "" {
		cfg.Title = DefaultTitle
	}
	if cfg.Template == "" {
		cfg.Template = DefaultTemplate
	}
	if cfg.Link == nil {
		cfg.Link = func(url string) string { return url }
	}
	if cfg.Count < 1 || cfg.Count > 20 {
		return nil, fmt.Errorf("count: must be 1 to 20 (got %d)", cfg.Count)
	}
	if !slices.Contains(rank.ReportRankings, cfg.By) {
		return nil, fmt.Errorf("by: must be one of %s (got %q)", strings.Join(rank.ReportRankings, ", "), cfg.By)
	}
	sched, err := cron.ParseStandard(cfg.Schedule)
	if err != nil {
		return nil, fmt.Errorf("schedule: %q: %w", cfg.Schedule, err)
	}
	line, err := template.New("digest").Option("missingkey=error").Parse(cfg.Template)
	if err == nil {
		// A field Line has not fails now rather than at each digest.
		err = line.Execute(io.Discard, Line{})
	}
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	return &Digest{cfg: cfg, sched: sched, line: line}, nil
}

// Account is the digest's account.
func (d *Digest) Account() string { return d.cfg.Account }

// Day is the account's local date of t (YYYY-MM-DD): the digest's key.
func (d *Digest) Day(t time.Time) string { return t.In(d.cfg.Location).Format(time.DateOnly) }

// Due reports whether the digest of now's local day is due: the schedule's
// first time on that day has come.
func (d *Digest) Due(now time.Time) bool {
	local := now.In(d.cfg.Location)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, d.cfg.Location)
	first := d.sched.Next(midnight.Add(-time.Second))
	return first.Format(time.DateOnly) == local.Format(time.DateOnly) && !now.Before(first)
}

// threaded reports whether the network posts a digest as a thread.
func (d *Digest) threaded() bool { return d.cfg.Network != herald.Facebook }

// Plan returns the digest's stories at now: the first Count by the
// configured ranking among the stories published in the Since before now,
// without those in the previous day's digest.
func (d *Digest) Plan(ctx context.Context, st Store, now time.Time) ([]herald.ReportRow, error) {
	prev, err := st.DigestJobs(ctx, d.cfg.Account, d.Day(now.In(d.cfg.Location).AddDate(0, 0, -1)))
	if err != nil {
		return nil, err
	}
	var skip []int64
	if len(prev) > 0 {
		skip = prev[0].Plan
	}
	rows, err := st.Report(ctx, herald.ReportQuery{Since: now.Add(-d.cfg.Since), Until: now, By: d.cfg.By,
		Limit: d.cfg.Count + len(skip)})
	if err != nil {
		return nil, err
	}
	rows = slices.DeleteFunc(rows, func(r herald.ReportRow) bool { return slices.Contains(skip, r.ArticleID) })
	return rows[:min(len(rows), d.cfg.Count)], nil
}

// Texts returns the posts of a digest of rows, one per part: on a thread
// the title and the first story, then a story a post; on Facebook one post
// with the title and the list.
func (d *Digest) Texts(rows []herald.ReportRow) ([]string, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	if !d.threaded() {
		lines := make([]string, len(rows))
		for i, r := range rows {
			var err error
			if lines[i], err = d.lineOf(i, r, ""); err != nil {
				return nil, err
			}
		}
		return []string{d.cfg.Title + "\n\n" + strings.Join(lines, "\n")}, nil
	}
	texts := make([]string, len(rows))
	for i, r := range rows {
		prefix := ""
		if i == 0 {
			prefix = d.cfg.Title + "\n\n"
		}
		var err error
		if texts[i], err = d.lineOf(i, r, prefix); err != nil {
			return nil, err
		}
	}
	return texts, nil
}

// lineOf returns prefix and row i's line; with Fits set, the story's title
// is shortened with "…" until the text fits, so that one long headline does
// not stop a thread.
func (d *Digest) lineOf(i int, r herald.ReportRow, prefix string) (string, error) {
	title := []rune(r.Title)
	for {
		var b strings.Builder
		if err := d.line.Execute(&b, Line{Rank: i + 1, Title: string(title), URL: d.cfg.Link(r.URL), Section: r.Section,
			Shares: r.Shares, Views: r.Views, Clicks: r.Clicks}); err != nil {
			return "", fmt.Errorf("template: %w", err)
		}
		text := prefix + strings.TrimSpace(b.String())
		if d.cfg.Fits == nil || d.cfg.Fits(text) || len(title) <= 1 {
			return text, nil
		}
		title = append(title[:len(title)-max(2, len(title)/8)], '…')
	}
}

// Step moves the digest of now's day on by at most one part and returns the
// job it created (nil for none) and whether the digest is complete: it
// creates part 0 from a new plan when the day has none, and the next part,
// answering the last, once the last was sent. A part another instance
// created first is left to it. A thread whose part failed for good stops.
func (d *Digest) Step(ctx context.Context, st Store, now time.Time) (*herald.Job, bool, error) {
	day := d.Day(now)
	parts, err := st.DigestJobs(ctx, d.cfg.Account, day)
	if err != nil {
		return nil, false, err
	}
	var p herald.DigestPart
	if len(parts) == 0 {
		rows, err := d.Plan(ctx, st, now)
		if err != nil || len(rows) == 0 {
			return nil, err == nil, err
		}
		texts, err := d.Texts(rows)
		if err != nil {
			return nil, false, err
		}
		p = herald.DigestPart{Account: d.cfg.Account, Day: day, ArticleID: rows[0].ArticleID, Text: texts[0]}
		for _, r := range rows {
			p.Plan = append(p.Plan, r.ArticleID)
		}
	} else {
		plan, last := parts[0].Plan, parts[len(parts)-1].Job
		total := 1
		if d.threaded() {
			total = len(plan)
		}
		switch {
		case len(parts) >= total:
			return nil, true, nil
		case last.State == herald.JobSkipped || last.State == herald.JobFailed:
			return nil, true, nil
		case last.State != herald.JobSent:
			return nil, false, nil
		}
		rows := make([]herald.ReportRow, len(plan))
		for i, id := range plan {
			a, err := st.GetArticle(ctx, id)
			if err != nil {
				return nil, false, err
			}
			rows[i] = herald.ReportRow{ArticleID: id, Title: a.Title, URL: a.URL, Section: a.Section}
		}
		texts, err := d.Texts(rows)
		if err != nil {
			return nil, false, err
		}
		n := len(parts)
		p = herald.DigestPart{Account: d.cfg.Account, Day: day, Part: n, ArticleID: plan[n], Text: texts[n],
			ReplyTo: last.RemoteID}
	}
	j, err := st.CreateDigestPart(ctx, p, now)
	if errors.Is(err, herald.ErrConflict) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &j, false, nil
}

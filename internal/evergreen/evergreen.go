// Package evergreen picks the stories worth sharing again — the best
// performers of a recent window, by the rankings — and creates their repost
// jobs, for `herald repost --top` and for the daemon's evergreen schedule.
//
// A story is eligible when its posts earned something by the chosen
// ranking, it is at least MinAge old and was not posted at all within
// MinAge (its automatic post included), it was not reshared (a repost job
// sent, or still waiting) within MinGap, and none of its sections is
// excluded or time-bound. Each is reshared on the accounts that posted it
// before, or on every account when none did.
package evergreen

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

// Criteria say which stories are eligible and how they are ranked.
type Criteria struct {
	Count  int           // stories to pick (at least 1)
	Since  time.Duration // only stories published within this window
	By     string        // a ranking of rank.Rankings ("" is score)
	MinAge time.Duration // younger stories, or stories posted more recently, wait
	MinGap time.Duration // stories reshared more recently are left alone
	// ExcludeSections and TimeBound are sections (source names) whose
	// stories are never picked: the first asked for, the second configured
	// time_bound (live blogs, weather).
	ExcludeSections []string
	TimeBound       []string
	Weights         herald.Weights // of the score; zero: herald.DefaultWeights
}

// Pick is a story chosen for resharing.
type Pick struct {
	Row      herald.ReportRow // its ranking row (Rank is its place in the ranking)
	Article  herald.Article
	Accounts []string  // where to reshare it
	LastPost time.Time // its latest post (sent or waiting), zero when none
}

// Skip is a story of the ranking that was passed over, and why.
type Skip struct {
	ArticleID int64  `json:"article_id"`
	Title     string `json:"title"`
	Reason    string `json:"reason"`
}

// Selection is the outcome of Select.
type Selection struct {
	Picks   []Pick
	Skipped []Skip // ranked higher than the last pick but not eligible
}

// Check reports what is wrong with c, naming the field's flag-style name.
func (c Criteria) Check() error {
	switch {
	case c.Count < 1:
		return fmt.Errorf("count: must be at least 1 (got %d)", c.Count)
	case c.Since <= 0:
		return fmt.Errorf("since: must be a positive duration (got %s)", c.Since)
	case c.MinAge < 0:
		return fmt.Errorf("min-age: must not be negative (got %s)", c.MinAge)
	case c.MinGap < 0:
		return fmt.Errorf("min-gap: must not be negative (got %s)", c.MinGap)
	case c.By != "" && !slices.Contains(rank.Rankings, c.By):
		return fmt.Errorf("by: must be one of %s (got %q)", strings.Join(rank.Rankings, ", "), c.By)
	}
	return nil
}

// Select returns the c.Count best eligible stories at now, best first, each
// with the accounts (of accounts, the configured ones) to reshare it on.
// Fewer are returned when fewer are eligible.
func Select(ctx context.Context, st Store, c Criteria, accounts []string, now time.Time) (Selection, error) {
	if err := c.Check(); err != nil {
		return Selection{}, fmt.Errorf("evergreen: %w", err)
	}
	by := c.By
	if by == "" {
		by = "score"
	}
	weights := c.Weights
	if weights == (herald.Weights{}) {
		weights = herald.DefaultWeights
	}
	var sel Selection
	seen := map[int64]bool{}
	// The ranking is read in growing pages until enough stories are
	// eligible or it runs out; most stories near the top are eligible.
	for limit := max(4*c.Count, 20); ; limit = min(2*limit, rank.MaxLimit) {
		rows, err := st.Report(ctx, herald.ReportQuery{Since: now.Add(-c.Since), Until: now, By: by,
			Limit: limit, Weights: weights})
		if err != nil {
			return sel, fmt.Errorf("evergreen: rank stories: %w", err)
		}
		for _, r := range rows {
			if seen[r.ArticleID] {
				continue
			}
			seen[r.ArticleID] = true
			if Metric(r, by) <= 0 {
				return sel, nil // the rest earned nothing either
			}
			p, reason, err := judge(ctx, st, c, r, accounts, now)
			if err != nil {
				return sel, err
			}
			if reason != "" {
				sel.Skipped = append(sel.Skipped, Skip{ArticleID: r.ArticleID, Title: r.Title, Reason: reason})
				continue
			}
			sel.Picks = append(sel.Picks, p)
			if len(sel.Picks) == c.Count {
				return sel, nil
			}
		}
		if len(rows) < limit || limit == rank.MaxLimit {
			return sel, nil
		}
	}
}

// Metric is a row's figure for the ranking by (shares, reactions,
// comments, clicks; score otherwise).
func Metric(r herald.ReportRow, by string) float64 {
	switch by {
	case "shares":
		return float64(r.Shares)
	case "reactions":
		return float64(r.Reactions)
	case "comments":
		return float64(r.Comments)
	case "clicks":
		return float64(r.Clicks)
	}
	return r.Score
}

// judge decides on one ranked story: a pick, or the reason it is skipped.
func judge(ctx context.Context, st Store, c Criteria, r herald.ReportRow, accounts []string, now time.Time) (Pick, string, error) {
	art, err := st.GetArticle(ctx, r.ArticleID)
	if err != nil {
		return Pick{}, "", fmt.Errorf("evergreen: article %d: %w", r.ArticleID, err)
	}
	sections := art.Sections
	if len(sections) == 0 && art.Section != "" {
		sections = []string{art.Section}
	}
	for _, s := range sections {
		switch {
		case slices.Contains(c.TimeBound, s):
			return Pick{}, "section " + s + " is time-bound", nil
		case slices.Contains(c.ExcludeSections, s):
			return Pick{}, "section " + s + " is excluded", nil
		}
	}
	if age := now.Sub(art.PublishedAt); age < c.MinAge {
		return Pick{}, "published " + Ago(age) + " ago (min age " + Ago(c.MinAge) + ")", nil
	}
	jobs, err := st.ListJobs(ctx, herald.JobFilter{ArticleID: art.ID})
	if err != nil {
		return Pick{}, "", fmt.Errorf("evergreen: jobs of article %d: %w", art.ID, err)
	}
	lastPost, lastReshare := LastPosts(jobs)
	switch {
	case lastReshare.After(now):
		return Pick{}, "a reshare is due " + when(lastReshare, now), nil
	case !lastReshare.IsZero() && now.Sub(lastReshare) < c.MinGap:
		return Pick{}, "reshared " + when(lastReshare, now) + " (min gap " + Ago(c.MinGap) + ")", nil
	case !lastPost.IsZero() && now.Sub(lastPost) < c.MinAge:
		return Pick{}, "posted " + when(lastPost, now) + " (min age " + Ago(c.MinAge) + ")", nil
	}
	targets := Targets(jobs, accounts)
	if len(targets) == 0 {
		return Pick{}, "no account to reshare it on", nil
	}
	return Pick{Row: r, Article: art, Accounts: targets, LastPost: lastPost}, "", nil
}

// LastPosts returns when an article's jobs last posted it (any sent job,
// or a repost still waiting, at its due time) and when they last reshared
// it (a repost, Seq > 0, sent or waiting). Skipped and failed jobs did not
// post. Zero times mean never.
func LastPosts(jobs []herald.Job) (post, reshare time.Time) {
	for _, j := range jobs {
		var t time.Time
		switch j.State {
		case herald.JobSent:
			t = j.SentAt
		case herald.JobPending, herald.JobSending:
			if j.Seq == 0 {
				continue // the automatic post, not sent yet
			}
			t = j.ScheduledAt
		default:
			continue
		}
		post = later(post, t)
		if j.Seq > 0 {
			reshare = later(reshare, t)
		}
	}
	return post, reshare
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Targets returns the accounts of accounts (the configured ones) that sent
// a post of the article (jobs are its jobs), in the order of accounts; when
// none did, all of accounts.
func Targets(jobs []herald.Job, accounts []string) []string {
	var out []string
	for _, id := range accounts {
		if slices.ContainsFunc(jobs, func(j herald.Job) bool { return j.Account == id && j.State == herald.JobSent }) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return slices.Clone(accounts)
	}
	return out
}

// Reshare creates a repost job for each pick on each of its accounts, in
// order, from proto (its Template, Text, Priority and DueAt, zero: now; the
// article, account and kind are set here), and calls created (may be nil)
// after each. It returns the jobs created, also when it fails part way.
func Reshare(ctx context.Context, st Store, picks []Pick, proto herald.NewJob, now time.Time, created func(herald.Job)) ([]herald.Job, error) {
	var out []herald.Job
	for _, p := range picks {
		for _, id := range p.Accounts {
			nj := proto
			nj.ArticleID, nj.Account, nj.Kind = p.Article.ID, id, herald.KindRepost
			j, err := st.CreateJob(ctx, nj, now)
			if err != nil {
				return out, fmt.Errorf("evergreen: create repost of article %d for %s: %w", p.Article.ID, id, err)
			}
			out = append(out, j)
			if created != nil {
				created(j)
			}
		}
	}
	return out, nil
}

// Ago writes a duration the way people say it: "3d", "5h", "2d 4h", "45m".
func Ago(d time.Duration) string {
	d = d.Round(time.Minute)
	switch days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour); {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case days == 0:
		return fmt.Sprintf("%dh", hours)
	case hours == 0:
		return fmt.Sprintf("%dd", days)
	default:
		return fmt.Sprintf("%dd %dh", days, hours)
	}
}

// when says how long before now t was ("3d ago"), or when it is to come
// ("in 2h": a repost scheduled for later).
func when(t, now time.Time) string {
	if t.After(now) {
		return "in " + Ago(t.Sub(now))
	}
	return Ago(now.Sub(t)) + " ago"
}

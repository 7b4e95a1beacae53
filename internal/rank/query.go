package rank

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
)

// Rankings are the engagement rankings (repost and evergreen --by), the
// first being the default.
var Rankings = []string{"shares", "score", "reactions", "comments", "clicks"}

// ReportRankings are the values of report --by and of by on /api/popular
// and the widget: the engagement rankings and "views", the page views the
// site's beacon counted.
var ReportRankings = append(slices.Clip(Rankings), "views")

// Networks are the values of --network ("x" is taken for twitter).
var Networks = []herald.Network{herald.Twitter, herald.Facebook, herald.Mastodon, herald.Bluesky}

// Defaults of report parameters.
const (
	DefaultSince = "24h"
	DefaultLimit = 20
	// MaxLimit bounds --limit (and ?limit= on the HTTP API).
	MaxLimit = 1000
)

// Params are a report's parameters as a person (flags) or a site (query
// string) gives them; Query checks them and builds the store's query.
type Params struct {
	Since    string // window: a Go duration or days/weeks ("24h", "7d", "2w"); "" is DefaultSince
	By       string // one of ReportRankings; "" is "shares"
	Network  string // one of Networks or "x"; "" for all
	Section  string // a source's name; "" for all
	Limit    int    // 1..MaxLimit; 0 is DefaultLimit
	Trending bool   // rank by what was gained inside the window
}

// ParamError names the parameter at fault (without dashes: "since").
type ParamError struct {
	Param  string
	Value  string
	Reason string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Param, e.Value, e.Reason)
}

// Query checks p and returns the store query for the window ending at now,
// scored with weights. Its errors are *ParamError.
func (p Params) Query(now time.Time, weights herald.Weights) (herald.ReportQuery, error) {
	q := herald.ReportQuery{Until: now, Section: p.Section, Trending: p.Trending, Weights: weights}
	since := p.Since
	if since == "" {
		since = DefaultSince
	}
	window, err := ParseSince(since)
	if err != nil {
		return q, &ParamError{Param: "since", Value: since, Reason: err.Error()}
	}
	q.Since = now.Add(-window)
	q.By = p.By
	if q.By == "" {
		q.By = Rankings[0]
	}
	if !slices.Contains(ReportRankings, q.By) {
		return q, &ParamError{Param: "by", Value: p.By, Reason: "must be one of " + strings.Join(ReportRankings, ", ")}
	}
	if p.Network != "" {
		n, ok := ParseNetwork(p.Network)
		if !ok {
			return q, &ParamError{Param: "network", Value: p.Network, Reason: "must be one of " + networkList()}
		}
		q.Network = n
	}
	switch {
	case p.Limit == 0:
		q.Limit = DefaultLimit
	case p.Limit < 0 || p.Limit > MaxLimit:
		return q, &ParamError{Param: "limit", Value: strconv.Itoa(p.Limit),
			Reason: fmt.Sprintf("must be between 1 and %d", MaxLimit)}
	default:
		q.Limit = p.Limit
	}
	return q, nil
}

// ParseNetwork reads a network name, case-insensitively; "x" is twitter.
func ParseNetwork(s string) (herald.Network, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "x" {
		return herald.Twitter, true
	}
	n := herald.Network(s)
	return n, slices.Contains(Networks, n)
}

func networkList() string {
	names := make([]string, len(Networks))
	for i, n := range Networks {
		names[i] = string(n)
	}
	return strings.Join(names, ", ")
}

// ParseSince reads a report window: a Go duration ("36h", "90m") or whole
// days and weeks, alone or followed by a Go duration ("7d", "2w", "1d12h").
// The window must be positive.
func ParseSince(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	rest := s
	// Leading whole weeks and days; what follows is a Go duration.
	for _, u := range []struct {
		suffix byte
		unit   time.Duration
	}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}} {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || rest[i] != u.suffix {
			continue
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n > 100000 {
			return 0, fmt.Errorf("window too long")
		}
		d += time.Duration(n) * u.unit
		rest = rest[i+1:]
	}
	if rest != "" {
		more, err := time.ParseDuration(rest)
		if err != nil || (d > 0 && strings.HasPrefix(rest, "-")) {
			return 0, fmt.Errorf("must be a duration such as 24h, 7d, 30d or 2w")
		}
		d += more
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be a positive duration such as 24h, 7d, 30d or 2w")
	}
	return d, nil
}

// WeightsFrom returns the score weights configured as ranking.weights; all
// zero (not configured) means herald.DefaultWeights.
func WeightsFrom(w config.Weights) herald.Weights {
	hw := herald.Weights{Shares: w.Shares, Comments: w.Comments, Reactions: w.Reactions, Clicks: w.Clicks}
	if hw == (herald.Weights{}) {
		return herald.DefaultWeights
	}
	return hw
}

// SeriesFor returns each row's engagement over time since since, by article
// ID, for the table's sparklines and the dashboard's charts.
func SeriesFor(ctx context.Context, store SeriesStore, rows []herald.ReportRow, since time.Time) (map[int64][]herald.SeriesPoint, error) {
	out := make(map[int64][]herald.SeriesPoint, len(rows))
	for _, r := range rows {
		points, err := store.Series(ctx, r.ArticleID, since)
		if err != nil {
			return nil, fmt.Errorf("series of article %d: %w", r.ArticleID, err)
		}
		out[r.ArticleID] = points
	}
	return out, nil
}

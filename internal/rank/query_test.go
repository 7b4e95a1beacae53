package rank_test

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

func TestParseSince(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"24h", 24 * time.Hour},
		{"90m", 90 * time.Minute},
		{"7d", 7 * 24 * time.Hour},
		{"30d", 30 * 24 * time.Hour},
		{"2w", 14 * 24 * time.Hour},
		{"1w2d", 9 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{" 7d ", 7 * 24 * time.Hour},
		{"1.5h", 90 * time.Minute},
	} {
		got, err := rank.ParseSince(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "0", "0d", "-24h", "7", "d", "7days", "2d1w", "1d-2h", "7x", "99999999999d", "1e3h"} {
		if got, err := rank.ParseSince(in); err == nil {
			t.Errorf("ParseSince(%q) = %v, want an error", in, got)
		}
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"24h", "7d", "2w", "1d12h", "-1d", "9999999999w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := rank.ParseSince(s)
		if err == nil && d <= 0 {
			t.Errorf("ParseSince(%q) = %v without an error", s, d)
		}
	})
}

func TestParamsQuery(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	q, err := rank.Params{}.Query(now, herald.DefaultWeights)
	want := herald.ReportQuery{Since: now.Add(-24 * time.Hour), Until: now, By: "shares", Limit: 20,
		Weights: herald.DefaultWeights}
	if err != nil || q != want {
		t.Errorf("defaults: %+v, %v; want %+v", q, err, want)
	}
	q, err = rank.Params{Since: "7d", By: "score", Network: "X", Section: "mexico", Limit: 5, Trending: true}.
		Query(now, herald.Weights{Shares: 1})
	want = herald.ReportQuery{Since: now.Add(-7 * 24 * time.Hour), Until: now, By: "score", Network: herald.Twitter,
		Section: "mexico", Limit: 5, Trending: true, Weights: herald.Weights{Shares: 1}}
	if err != nil || q != want {
		t.Errorf("all set: %+v, %v; want %+v", q, err, want)
	}
	for _, tc := range []struct {
		p     rank.Params
		param string
	}{
		{rank.Params{Since: "yesterday"}, "since"},
		{rank.Params{By: "likes"}, "by"},
		{rank.Params{Network: "myspace"}, "network"},
		{rank.Params{Limit: -1}, "limit"},
		{rank.Params{Limit: rank.MaxLimit + 1}, "limit"},
	} {
		_, err := tc.p.Query(now, herald.DefaultWeights)
		var pe *rank.ParamError
		if !errors.As(err, &pe) || pe.Param != tc.param {
			t.Errorf("%+v: error %v, want one naming %s", tc.p, err, tc.param)
		}
	}
}

func TestWeightsFrom(t *testing.T) {
	if got := rank.WeightsFrom(config.Weights{}); got != herald.DefaultWeights {
		t.Errorf("unset weights = %+v, want the defaults", got)
	}
	got := rank.WeightsFrom(config.Weights{Shares: 5, Comments: 0, Reactions: 1, Clicks: 2})
	if want := (herald.Weights{Shares: 5, Reactions: 1, Clicks: 2}); got != want {
		t.Errorf("WeightsFrom = %+v, want %+v", got, want)
	}
}

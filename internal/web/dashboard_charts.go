package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank"
)

// Charts are drawn on the server as inline SVG: the page needs no script,
// no font and nothing from elsewhere. Geometry is computed here; the
// templates only print it.

// Bar chart geometry (one bar per network, in every story's row).
const (
	barWidth  = 260.0 // the longest bar
	barHeight = 14.0
	barGap    = 4.0
	barLabelW = 64.0 // room for the network's name
)

// bar is one horizontal bar.
type bar struct {
	Label string
	Class string // colour by network
	Value int64
	Y, W  float64
	TextX float64 // where the value is written
	TextY float64 // the baseline of the label and the value
}

// barChart is one story's shares per network.
type barChart struct {
	Width, Height float64
	LabelW        float64
	Bars          []bar
}

// networkShare is a report row's shares on one network: X counts retweets
// and quotes, Facebook shares, Mastodon boosts, Bluesky reposts and quotes.
type networkShare struct {
	Label string
	Class string
	Value int64
}

// sharesByNetwork returns the row's shares on X and Facebook, and on
// Mastodon and Bluesky when the story was posted there. Only the network
// asked for is shown when there is one.
func sharesByNetwork(r herald.ReportRow, only herald.Network) []networkShare {
	var out []networkShare
	add := func(n herald.Network, v int64) {
		if only == "" || only == n {
			out = append(out, networkShare{networkLabel(n), "net-" + networkClass(n), v})
		}
	}
	add(herald.Twitter, r.Twitter.Retweets+r.Twitter.Quotes)
	add(herald.Facebook, r.Facebook.Shares)
	if _, ok := r.Other[herald.Mastodon]; ok {
		add(herald.Mastodon, rank.MastodonOf(r).Boosts)
	}
	if _, ok := r.Other[herald.Bluesky]; ok {
		add(herald.Bluesky, rank.BlueskyOf(r).Shares())
	}
	return out
}

// networkLabel is a network's name as the pages show it.
func networkLabel(n herald.Network) string {
	switch n {
	case herald.Twitter:
		return "X"
	case herald.Facebook:
		return "Facebook"
	case "":
		return ""
	}
	return strings.ToUpper(string(n[:1])) + string(n[1:])
}

// networkClass names a network in CSS classes (net-x, net-fb, net-mastodon,
// net-bluesky).
func networkClass(n herald.Network) string {
	switch n {
	case herald.Twitter:
		return "x"
	case herald.Facebook:
		return "fb"
	}
	return string(n)
}

// newBarChart draws shares against max, the largest value on the page, so
// bars compare across stories.
func newBarChart(shares []networkShare, max int64) barChart {
	c := barChart{Width: barLabelW + barWidth + 56, LabelW: barLabelW}
	for i, s := range shares {
		w := 0.0
		if max > 0 {
			w = barWidth * float64(s.Value) / float64(max)
		}
		if s.Value > 0 && w < 2 {
			w = 2 // a non-zero value stays visible
		}
		y := float64(i) * (barHeight + barGap)
		c.Bars = append(c.Bars, bar{Label: s.Label, Class: s.Class, Value: s.Value, Y: y, W: w,
			TextX: barLabelW + w + 6, TextY: y + barHeight - 3})
	}
	c.Height = float64(len(c.Bars))*(barHeight+barGap) - barGap
	return c
}

// Line chart geometry.
const (
	lineW, lineH      = 360.0, 120.0
	linePadL, linePad = 40.0, 8.0
	sparkW, sparkH    = 96.0, 24.0
)

// line is one series drawn as an SVG polyline.
type line struct {
	Label  string
	Class  string
	Points string // "x,y x,y ..."
	Last   int64
	// Dot is drawn when there is a single reading.
	Dot    bool
	DX, DY float64
}

// lineChart is an article's engagement over time.
type lineChart struct {
	Width, Height float64
	PadL, Pad     float64
	Right, Bottom float64 // the plot's right and bottom edges
	Lines         []line
	Max           int64
	From, To      time.Time
	Empty         bool
}

// newLineChart draws shares, reactions and comments over time.
func newLineChart(pts []herald.SeriesPoint) lineChart {
	c := lineChart{Width: lineW, Height: lineH, PadL: linePadL, Pad: linePad,
		Right: lineW - linePad, Bottom: lineH - linePad, Empty: len(pts) == 0}
	if c.Empty {
		return c
	}
	c.From, c.To = pts[0].At, pts[len(pts)-1].At
	for _, p := range pts {
		c.Max = max(c.Max, p.Shares, p.Reactions, p.Comments)
	}
	series := []struct {
		label, class string
		v            func(herald.SeriesPoint) int64
	}{
		{"shares", "s-shares", func(p herald.SeriesPoint) int64 { return p.Shares }},
		{"reactions", "s-reactions", func(p herald.SeriesPoint) int64 { return p.Reactions }},
		{"comments", "s-comments", func(p herald.SeriesPoint) int64 { return p.Comments }},
	}
	for _, s := range series {
		l := plot(pts, s.v, c.Max, linePadL, linePad, lineW-linePad, lineH-linePad)
		l.Label, l.Class = s.label, s.class
		c.Lines = append(c.Lines, l)
	}
	return c
}

// newSparkline draws an article's total engagement over time in a small box.
func newSparkline(pts []herald.SeriesPoint) line {
	var top int64
	for _, p := range pts {
		top = max(top, p.Shares+p.Reactions+p.Comments)
	}
	return plot(pts, func(p herald.SeriesPoint) int64 { return p.Shares + p.Reactions + p.Comments },
		top, 1, 1, sparkW-1, sparkH-1)
}

// plot maps points into the box (x0,y0)-(x1,y1), time across and value up.
func plot(pts []herald.SeriesPoint, v func(herald.SeriesPoint) int64, top int64, x0, y0, x1, y1 float64) line {
	var l line
	if len(pts) == 0 {
		return l
	}
	l.Last = v(pts[len(pts)-1])
	from, to := pts[0].At, pts[len(pts)-1].At
	span := to.Sub(from).Seconds()
	y := func(n int64) float64 {
		if top <= 0 {
			return y1
		}
		return y1 - (y1-y0)*float64(n)/float64(top)
	}
	if len(pts) == 1 || span <= 0 {
		l.Dot, l.DX, l.DY = true, x1, y(l.Last)
		return l
	}
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		x := x0 + (x1-x0)*p.At.Sub(from).Seconds()/span
		b.WriteString(fmtCoord(x))
		b.WriteByte(',')
		b.WriteString(fmtCoord(y(v(p))))
	}
	l.Points = b.String()
	return l
}

func fmtCoord(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

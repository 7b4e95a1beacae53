package rank

import (
	"cmp"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/table"
)

// SparkWidth is the most characters a growth sparkline takes.
const SparkWidth = 12

// TableOptions tune WriteTable.
type TableOptions struct {
	// Width is the terminal's width, the title cut to fit it; 0 (not a
	// terminal) never cuts.
	Width    int
	Color    bool           // ANSI colour (only on a terminal, never with NO_COLOR)
	Location *time.Location // time zone of the published column; nil is time.Local
	// Network, when set, shows only that network's figures.
	Network herald.Network
}

// column is one column of the table: its header, alignment, colour and cell.
type column struct {
	table.Column
	color string // SGR code of its cells
	cell  func(i int, r herald.ReportRow) string
}

// WriteTable writes rows as a table (see package table): rank, title (the
// only column cut, with "…", on a terminal too narrow), section, published
// time, X figures (retweets and quotes / likes / replies), Facebook figures
// (shares / reactions / comments), Mastodon figures (boosts / favourites /
// replies) and Bluesky figures (reposts and quotes / likes / replies) when a
// story was posted there, clicks, views (when any), score, and a sparkline of each story's
// total shares over time from series (keyed by article ID). A legend under
// the table names each network's figures.
func WriteTable(w io.Writer, rows []herald.ReportRow, series map[int64][]herald.SeriesPoint, opts TableOptions) error {
	return writeTable(w, rows, series, opts, false)
}

// WriteTableByClicks is WriteTable with the clicks column always shown, for
// a report ranked by clicks.
func WriteTableByClicks(w io.Writer, rows []herald.ReportRow, series map[int64][]herald.SeriesPoint, opts TableOptions) error {
	return writeTable(w, rows, series, opts, true)
}

func writeTable(w io.Writer, rows []herald.ReportRow, series map[int64][]herald.SeriesPoint, opts TableOptions, clicks bool) error {
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	n := strconv.FormatInt
	col := func(head string, right bool, cell func(i int, r herald.ReportRow) string) column {
		return column{Column: table.Column{Head: head, Right: right}, cell: cell}
	}
	cols := []column{
		col("#", true, func(i int, r herald.ReportRow) string { return strconv.Itoa(cmp.Or(r.Rank, i+1)) }),
		{Column: table.Column{Head: "TITLE", Flex: true}, cell: func(i int, r herald.ReportRow) string { return clean(r.Title) }},
		col("SECTION", false, func(i int, r herald.ReportRow) string { return clean(r.Section) }),
		{Column: table.Column{Head: "PUBLISHED"}, color: "2", cell: func(i int, r herald.ReportRow) string {
			return r.PublishedAt.In(loc).Format("Jan 02 15:04")
		}},
	}
	var legend []string
	if opts.Network == "" || opts.Network == herald.Twitter {
		legend = append(legend, "X: retweets+quotes/likes/replies")
		cols = append(cols, col("X", true, func(i int, r herald.ReportRow) string {
			return n(r.Twitter.Retweets+r.Twitter.Quotes, 10) + "/" + n(r.Twitter.Likes, 10) + "/" + n(r.Twitter.Replies, 10)
		}))
	}
	if opts.Network == "" || opts.Network == herald.Facebook {
		legend = append(legend, "FB: shares/reactions/comments")
		cols = append(cols, col("FB", true, func(i int, r herald.ReportRow) string {
			return n(r.Facebook.Shares, 10) + "/" + n(r.Facebook.Reactions, 10) + "/" + n(r.Facebook.Comments, 10)
		}))
	}
	// Mastodon and Bluesky get a column when a story was posted there.
	if opts.Network == herald.Mastodon || (opts.Network == "" && posted(rows, herald.Mastodon)) {
		legend = append(legend, "Mastodon: boosts/favourites/replies")
		cols = append(cols, col("MASTODON", true, func(i int, r herald.ReportRow) string {
			m := MastodonOf(r)
			return n(m.Boosts, 10) + "/" + n(m.Favourites, 10) + "/" + n(m.Replies, 10)
		}))
	}
	if opts.Network == herald.Bluesky || (opts.Network == "" && posted(rows, herald.Bluesky)) {
		legend = append(legend, "Bluesky: reposts+quotes/likes/replies")
		cols = append(cols, col("BLUESKY", true, func(i int, r herald.ReportRow) string {
			b := BlueskyOf(r)
			return n(b.Shares(), 10) + "/" + n(b.Likes, 10) + "/" + n(b.Replies, 10)
		}))
	}
	// Without short links there are no clicks: no column of zeros, unless
	// the report ranks by them.
	if clicks || slices.ContainsFunc(rows, func(r herald.ReportRow) bool { return r.Clicks != 0 }) {
		cols = append(cols, col("CLICKS", true, func(i int, r herald.ReportRow) string { return n(r.Clicks, 10) }))
	}
	// Page views likewise, where the site sends the beacon.
	if slices.ContainsFunc(rows, func(r herald.ReportRow) bool { return r.Views != 0 }) {
		cols = append(cols, col("VIEWS", true, func(i int, r herald.ReportRow) string { return n(r.Views, 10) }))
	}
	cols = append(cols,
		column{Column: table.Column{Head: "SCORE", Right: true}, color: "1", cell: func(i int, r herald.ReportRow) string {
			return formatScore(r.Score)
		}},
		column{Column: table.Column{Head: "GROWTH"}, color: "32", cell: func(i int, r herald.ReportRow) string {
			return Sparkline(series[r.ArticleID], SparkWidth)
		}},
	)
	out, err := render(rows, cols, opts)
	if err != nil {
		return err
	}
	if opts.Width > 0 && lineWidth(out) > opts.Width {
		// Too narrow even with the title cut (each network has a column):
		// the section goes.
		cols = slices.DeleteFunc(cols, func(c column) bool { return c.Head == "SECTION" })
		if out, err = render(rows, cols, opts); err != nil {
			return err
		}
	}
	var b strings.Builder
	b.WriteString(out)
	if len(rows) > 0 {
		for _, l := range wrapLegend(legend, max(opts.Width, lineWidth(out))) {
			if opts.Color {
				l = "\x1b[2m" + l + "\x1b[0m"
			}
			b.WriteString(l + "\n")
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// render lays rows out in cols with package table.
func render(rows []herald.ReportRow, cols []column, opts TableOptions) (string, error) {
	heads := make([]table.Column, len(cols))
	for i, c := range cols {
		heads[i] = c.Column
	}
	cells := make([][]string, len(rows))
	colors := make([][]string, len(rows))
	for k, r := range rows {
		cells[k], colors[k] = make([]string, len(cols)), make([]string, len(cols))
		for i, c := range cols {
			cells[k][i], colors[k][i] = c.cell(k, r), c.color
		}
	}
	var out strings.Builder
	err := table.Write(&out, heads, cells, colors, table.Options{Width: opts.Width, Color: opts.Color})
	return out.String(), err
}

// wrapLegend joins the legend's items two spaces apart, starting a new line
// rather than going past width (an item wider than width has a line of its
// own).
func wrapLegend(items []string, width int) []string {
	var lines []string
	line := ""
	for _, it := range items {
		switch {
		case line == "":
			line = it
		case table.Width(line)+2+table.Width(it) <= width:
			line += "  " + it
		default:
			lines = append(lines, line)
			line = it
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// lineWidth is the display width of the widest line.
func lineWidth(s string) int {
	w := 0
	for l := range strings.SplitSeq(s, "\n") {
		w = max(w, table.Width(l))
	}
	return w
}

// clean makes feed text safe for one terminal line: control characters
// (an escape sequence hidden in a title) are dropped and runs of white
// space become one space.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// formatScore shows a whole score without decimals and others with one.
func formatScore(s float64) string {
	if s == float64(int64(s)) {
		return strconv.FormatInt(int64(s), 10)
	}
	return strconv.FormatFloat(s, 'f', 1, 64)
}

var sparks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws total shares over time in at most width characters: one
// per reading, or, with more readings than that, the latest reading of
// each of width equal spans of time between the first and the last. It is
// scaled from the smallest value (▁) to the largest (█); flat is all ▁.
func Sparkline(points []herald.SeriesPoint, width int) string {
	if len(points) == 0 || width <= 0 {
		return ""
	}
	vals := make([]int64, 0, min(len(points), width))
	if len(points) <= width {
		for _, p := range points {
			vals = append(vals, p.Shares)
		}
	} else {
		first, span := points[0].At, points[len(points)-1].At.Sub(points[0].At)
		k := 0
		for b := range width {
			end := first.Add(time.Duration(int64(span) * int64(b+1) / int64(width)))
			for k+1 < len(points) && !points[k+1].At.After(end) {
				k++
			}
			vals = append(vals, points[k].Shares)
		}
	}
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
	}
	var sb strings.Builder
	for _, v := range vals {
		i := 0
		if hi > lo {
			i = int((v - lo) * int64(len(sparks)-1) / (hi - lo))
		}
		sb.WriteRune(sparks[i])
	}
	return sb.String()
}

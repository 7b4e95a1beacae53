package rank

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/term"

	"github.com/heraldhq/herald/internal/herald"
)

// DefaultWidth is the table width when the output is not a terminal.
const DefaultWidth = 100

// minTitle is the least room a title gets, however narrow the terminal.
const minTitle = 16

// SparkWidth is the most characters a growth sparkline takes.
const SparkWidth = 12

// TableOptions tune WriteTable.
type TableOptions struct {
	Width    int            // the line width to fit; 0 is DefaultWidth
	Color    bool           // ANSI colour (only on a terminal, never with NO_COLOR)
	Location *time.Location // time zone of the published column; nil is time.Local
	// Network, when set, shows only that network's figures.
	Network herald.Network
}

// TerminalWidth returns the width of the terminal f is, or DefaultWidth when
// f is not a terminal (a pipe, a file).
func TerminalWidth(f *os.File) int {
	if f != nil && term.IsTerminal(int(f.Fd())) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return DefaultWidth
}

// column is one column of the table: its header, alignment and cell.
type column struct {
	head  string
	right bool
	cell  func(i int, r herald.ReportRow) string
}

// WriteTable writes rows as a table that fits opts.Width: rank, title (cut
// with "…" to the room left), section (left out when the title would get
// less than its least room), published time, X figures (retweets
// and quotes / likes / replies), Facebook figures (shares / reactions /
// comments), Mastodon figures (boosts / favourites / replies) and Bluesky
// figures (reposts and quotes / likes / replies) when a story was posted
// there, clicks, score, and a sparkline of each story's total shares over
// time from series (keyed by article ID). A legend under the table names
// each network's figures.
func WriteTable(w io.Writer, rows []herald.ReportRow, series map[int64][]herald.SeriesPoint, opts TableOptions) error {
	if opts.Width <= 0 {
		opts.Width = DefaultWidth
	}
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	paint := func(code, s string) string {
		if !opts.Color || s == "" {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	n := strconv.FormatInt
	titles := make([]string, len(rows))
	cols := []column{
		{head: "#", right: true, cell: func(i int, r herald.ReportRow) string { return strconv.Itoa(cmp.Or(r.Rank, i+1)) }},
		{head: "TITLE", cell: func(i int, r herald.ReportRow) string { return titles[i] }},
		{head: "SECTION", cell: func(i int, r herald.ReportRow) string { return clean(r.Section) }},
		{head: "PUBLISHED", cell: func(i int, r herald.ReportRow) string {
			return paint("2", r.PublishedAt.In(loc).Format("Jan 02 15:04"))
		}},
	}
	var legend []string
	if opts.Network == "" || opts.Network == herald.Twitter {
		legend = append(legend, "X: retweets+quotes/likes/replies")
		cols = append(cols, column{head: "X", right: true, cell: func(i int, r herald.ReportRow) string {
			return n(r.Twitter.Retweets+r.Twitter.Quotes, 10) + "/" + n(r.Twitter.Likes, 10) + "/" + n(r.Twitter.Replies, 10)
		}})
	}
	if opts.Network == "" || opts.Network == herald.Facebook {
		legend = append(legend, "FB: shares/reactions/comments")
		cols = append(cols, column{head: "FB", right: true, cell: func(i int, r herald.ReportRow) string {
			return n(r.Facebook.Shares, 10) + "/" + n(r.Facebook.Reactions, 10) + "/" + n(r.Facebook.Comments, 10)
		}})
	}
	// Mastodon and Bluesky get a column when a story was posted there.
	if opts.Network == herald.Mastodon || (opts.Network == "" && posted(rows, herald.Mastodon)) {
		legend = append(legend, "Mastodon: boosts/favourites/replies")
		cols = append(cols, column{head: "MASTODON", right: true, cell: func(i int, r herald.ReportRow) string {
			m := MastodonOf(r)
			return n(m.Boosts, 10) + "/" + n(m.Favourites, 10) + "/" + n(m.Replies, 10)
		}})
	}
	if opts.Network == herald.Bluesky || (opts.Network == "" && posted(rows, herald.Bluesky)) {
		legend = append(legend, "Bluesky: reposts+quotes/likes/replies")
		cols = append(cols, column{head: "BLUESKY", right: true, cell: func(i int, r herald.ReportRow) string {
			b := BlueskyOf(r)
			return n(b.Shares(), 10) + "/" + n(b.Likes, 10) + "/" + n(b.Replies, 10)
		}})
	}
	// Without short links there are no clicks: no column of zeros.
	if slices.ContainsFunc(rows, func(r herald.ReportRow) bool { return r.Clicks != 0 }) {
		cols = append(cols, column{head: "CLICKS", right: true, cell: func(i int, r herald.ReportRow) string {
			return n(r.Clicks, 10)
		}})
	}
	cols = append(cols,
		column{head: "SCORE", right: true, cell: func(i int, r herald.ReportRow) string {
			return paint("1", formatScore(r.Score))
		}},
		column{head: "GROWTH", cell: func(i int, r herald.ReportRow) string {
			return paint("32", Sparkline(series[r.ArticleID], SparkWidth))
		}},
	)
	// Lay the table out with empty titles to learn how much room is left
	// for them, then cut each title to that room.
	empty, err := renderTable(cols, rows, paint)
	if err != nil {
		return err
	}
	room := opts.Width - lineWidth(empty) + twwidth.Width("TITLE")
	if room < minTitle {
		// Too narrow for the title (each network has a column): the section goes
		// before the title is cut shorter.
		cols = slices.DeleteFunc(cols, func(c column) bool { return c.head == "SECTION" })
		if empty, err = renderTable(cols, rows, paint); err != nil {
			return err
		}
		room = opts.Width - lineWidth(empty) + twwidth.Width("TITLE")
	}
	room = max(room, minTitle)
	for i, r := range rows {
		titles[i] = cut(clean(r.Title), room)
	}
	out, err := renderTable(cols, rows, paint)
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		// As wide as the table when it could not be made narrow enough.
		for _, l := range wrapLegend(legend, max(opts.Width, lineWidth(out))) {
			out = append(out, paint("2", l)+"\n"...)
		}
	}
	_, err = w.Write(out)
	return err
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
		case twwidth.Width(line)+2+twwidth.Width(it) <= width:
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

// cut shortens s to width display columns, ending it with "…" when cut.
func cut(s string, width int) string {
	if twwidth.Width(s) <= width {
		return s
	}
	return twwidth.Truncate(s, width, "…")
}

// renderTable renders the table with tablewriter: no borders, a rule under
// the header, two spaces between columns, no trailing spaces.
func renderTable(cols []column, rows []herald.ReportRow, paint func(code, s string) string) ([]byte, error) {
	var buf bytes.Buffer
	heads := make([]any, len(cols))
	align := make([]tw.Align, len(cols))
	for i, c := range cols {
		heads[i] = paint("1", c.head)
		align[i] = tw.AlignLeft
		if c.right {
			align[i] = tw.AlignRight
		}
	}
	t := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleLight),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off, ShowHeader: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.On},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "  ", Overwrite: true}),
	)
	t.Header(heads...)
	for k, r := range rows {
		cells := make([]any, len(cols))
		for i, c := range cols {
			cells[i] = c.cell(k, r)
		}
		if err := t.Append(cells...); err != nil {
			return nil, fmt.Errorf("write table: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return nil, fmt.Errorf("write table: %w", err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	var out bytes.Buffer
	for _, l := range lines {
		// Padding after the last cell, even behind a colour reset, is noise.
		reset := strings.HasSuffix(l, ansiReset)
		l = strings.TrimRight(strings.TrimSuffix(l, ansiReset), " ")
		if reset && strings.Contains(l, "\x1b[") && !strings.HasSuffix(l, ansiReset) {
			l += ansiReset
		}
		out.WriteString(l)
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

const ansiReset = "\x1b[0m"

// lineWidth is the display width of the widest line.
func lineWidth(b []byte) int {
	w := 0
	for l := range strings.SplitSeq(string(b), "\n") {
		w = max(w, twwidth.Width(l))
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

// Package table renders Herald's terminal tables, for every command that
// prints rows and for the report alike: no borders, a rule under the
// header, two spaces between columns, no trailing spaces.
//
// Off a terminal (Width 0) nothing is ever cut: a pipe or a file gets every
// character. On a terminal only the widest free-text column (Flex) is cut
// with "…", to fit the width, and never below its least room.
package table

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/clipperhouse/displaywidth"
)

// display measures text as a terminal shows it: an escape sequence (the
// colors Write paints) takes no room.
var display = displaywidth.Options{ControlSequences: true}

// MinFlex is the least room a free-text column gets, however narrow the
// terminal.
const MinFlex = 16

// Column is one column of a table.
type Column struct {
	Head  string
	Right bool // figures: aligned right
	// Flex marks a free-text column (a title, a URL, an error): the only
	// kind that may be cut, and only on a terminal.
	Flex bool
}

// Options tune Write.
type Options struct {
	// Width is the terminal's width; 0 means not a terminal: never cut.
	Width int
	// Color paints the header bold and each cell with its SGR code.
	Color bool
}

// Write writes cells (one slice per row, one string per column, plain
// text) under cols' headers. colors, when not nil, holds an SGR code per
// cell ("32" green, "2" dim; "" none), used only with opts.Color.
func Write(w io.Writer, cols []Column, cells [][]string, colors [][]string, opts Options) error {
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = display.String(c.Head)
	}
	for _, row := range cells {
		for i := range cols {
			widths[i] = max(widths[i], display.String(row[i]))
		}
	}
	if opts.Width > 0 {
		fit(cols, cells, widths, opts.Width)
	}
	paint := func(code, s string) string {
		if !opts.Color || code == "" || s == "" {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	var b strings.Builder
	line := func(row []string, code func(i int) string) {
		var l strings.Builder
		for i, c := range cols {
			s := row[i]
			pad := strings.Repeat(" ", widths[i]-display.String(s))
			s = paint(code(i), s)
			if i > 0 {
				l.WriteString("  ")
			}
			if c.Right {
				l.WriteString(pad + s)
			} else {
				l.WriteString(s + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.Head
	}
	line(heads, func(int) string { return "1" })
	total := 2 * max(len(cols)-1, 0)
	for _, wd := range widths {
		total += wd
	}
	b.WriteString(strings.Repeat("─", total))
	b.WriteByte('\n')
	for k, row := range cells {
		line(row, func(i int) string {
			if colors == nil {
				return ""
			}
			return colors[k][i]
		})
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// fit cuts the widest flex column so that the table fits width, not below
// MinFlex (nor its header); widths is updated.
func fit(cols []Column, cells [][]string, widths []int, width int) {
	total := 2 * max(len(cols)-1, 0)
	for _, w := range widths {
		total += w
	}
	widest := -1
	for i, c := range cols {
		if c.Flex && (widest < 0 || widths[i] > widths[widest]) {
			widest = i
		}
	}
	if total <= width || widest < 0 {
		return
	}
	room := max(widths[widest]-(total-width), MinFlex, display.String(cols[widest].Head))
	if room >= widths[widest] {
		return
	}
	widths[widest] = room
	for _, row := range cells {
		row[widest] = Cut(row[widest], room)
	}
}

// Cut shortens s to width display columns, ending it with "…" when cut.
func Cut(s string, width int) string {
	if display.String(s) <= width {
		return s
	}
	return display.TruncateString(s, width, "…")
}

// Clean makes text from the outside (a feed's title, an API's error) safe
// for one cell: no control characters (no escape sequence reaching the
// terminal), no line breaks.
func Clean(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)), " ")
}

// Width is the display width of s.
func Width(s string) int { return display.String(s) }

package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/herald"
)

// parseTemplates parses the embedded pages with their helpers.
func parseTemplates() (*template.Template, error) {
	return template.New("").Funcs(template.FuncMap{
		"num":     num,
		"coord":   func(f float64) string { return fmtCoord(f) },
		"score":   score,
		"dollars": func(m herald.Money) string { return fmt.Sprintf("$%.2f", m.Dollars()) },
		"when":    when,
		"ago":     ago,
		"add":     func(a, b int) int { return a + b },
	}).ParseFS(templateFS, "templates/*.html")
}

// num writes n with thin separators between thousands: 12 345.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// when is a time in UTC, "-" when zero.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2 Jan 15:04 UTC")
}

// ago says how long before now t was (or "in …" for the future).
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d, future := now.Sub(t), false
	if d < 0 {
		d, future = -d, true
	}
	var s string
	switch {
	case d < time.Minute:
		s = strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		s = strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		s = strconv.Itoa(int(d/time.Hour)) + "h"
	default:
		s = strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// score writes a score: whole numbers as num does, others with one decimal.
func score(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return num(int64(f))
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}

package cli

// Output shared by every command that prints rows: --format table|json|csv.
//
//	var format string
//	addFormatFlag(cmd, &format)
//	...
//	if err := checkFormat(format); err != nil { return err }   // first thing in RunE
//	return writeRows(a, format, "jobs", rows, cols, "No jobs match.")
//
// A row is a struct whose json tags are the snake_case keys of the JSON
// objects and of the CSV header (nested structs are flattened as
// parent_child in CSV). Times are RFC 3339 in UTC in JSON and CSV and
// relative ("3m ago") in tables; colour only when a.Color().
//
// The JSON of a command that opened the store names the configuration file
// and the database it read (see writeJSON); CSV stays a plain table.

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldhq/herald/internal/table"
)

// outputFormats are the values of --format; the first is the default.
var outputFormats = []string{"table", "json", "csv"}

// addFormatFlag registers --format on cmd.
func addFormatFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "format", outputFormats[0], "output format: "+strings.Join(outputFormats, ", "))
}

// checkFormat returns a usage error naming --format unless format is known.
func checkFormat(format string) error {
	if slices.Contains(outputFormats, format) {
		return nil
	}
	return usageErrorf("--format: must be one of %s, not %q", strings.Join(outputFormats, ", "), format)
}

// column is one column of a table.
type column[T any] struct {
	head  string
	cell  func(T) string
	right bool // figures
	// flex marks free text (titles, URLs, errors): on a terminal the
	// widest flex column is cut with "…" so the table fits its width;
	// elsewhere nothing is cut.
	flex bool
	// color, when set, returns the SGR code of a cell ("32" green, "31"
	// red, "2" dim; "" none), used only when colour is on.
	color func(T) string
}

// writeRows writes rows to standard output in format: "json" an indented
// array of rows (under key, see writeJSON), "csv" a header of the rows' JSON
// keys and one record per row, "table" cols as a table that fits the
// terminal, or empty (when not "") instead of a table without rows.
func writeRows[T any](a *App, format, key string, rows []T, cols []column[T], empty string) error {
	switch format {
	case "json":
		return writeJSON(a, key, rows)
	case "csv":
		return writeCSV(a, rows)
	case "table":
		if len(rows) == 0 && empty != "" {
			_, err := fmt.Fprintln(a.Out(), empty)
			return err
		}
		return writeTable(a, rows, cols)
	}
	return checkFormat(format)
}

// using names the configuration file and the database a command read.
type using struct {
	Config   string `json:"config"`   // the configuration file read ("" for none)
	Database string `json:"database"` // database.url, password left out (herald.RedactURL)
}

// writeJSON writes v as indented JSON, URLs left readable (no \u0026), nil
// slices as []. When the command opened the store, the output names the
// configuration and the database it read, first: an object gets the keys
// "config" and "database"; a list becomes {"config": ..., "database": ...,
// key: [...]}.
func writeJSON(a *App, key string, v any) error {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() {
		v = reflect.MakeSlice(rv.Type(), 0, 0).Interface()
	}
	body, err := compactJSON(v)
	if err == nil && a.using != nil {
		body, err = withUsing(*a.using, key, body)
	}
	if err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	out.WriteByte('\n')
	_, err = out.WriteTo(a.Out())
	return err
}

// compactJSON is v as JSON on one line, without HTML escapes.
func compactJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// withUsing puts u's keys first in body, a JSON object, or makes body, a
// JSON array, the value of key beside them.
func withUsing(u using, key string, body []byte) ([]byte, error) {
	head, err := compactJSON(u)
	if err != nil {
		return nil, err
	}
	head = head[:len(head)-1] // without its "}"
	switch {
	case bytes.Equal(body, []byte("{}")):
		return append(head, '}'), nil
	case body[0] == '{':
		return append(append(head, ','), body[1:]...), nil
	case body[0] == '[':
		k, err := compactJSON(cmp.Or(key, "items"))
		if err != nil {
			return nil, err
		}
		out := append(append(append(head, ','), k...), ':')
		return append(append(out, body...), '}'), nil
	}
	return nil, fmt.Errorf("%s is neither an object nor a list", body)
}

// writeCSV writes rows as CSV (RFC 4180) with a header row.
func writeCSV[T any](a *App, rows []T) error {
	cw := csv.NewWriter(a.Out())
	typ := reflect.TypeFor[T]()
	if err := cw.Write(csvHeader(typ, "")); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, r := range rows {
		if err := cw.Write(csvRecord(reflect.ValueOf(r), nil)); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// jsonName is a field's JSON key ("" for a field JSON leaves out).
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return name
}

var timeType = reflect.TypeFor[time.Time]()

// nested reports whether a field of type t is flattened into several columns.
func nested(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t != timeType
}

func csvHeader(t reflect.Type, prefix string) []string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if name == "" {
			continue
		}
		if nested(f.Type) {
			out = append(out, csvHeader(f.Type, prefix+name+"_")...)
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}

// csvRecord appends v's fields, flattened, to rec. A nil nested pointer
// gives empty cells.
func csvRecord(v reflect.Value, rec []string) []string {
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		if v.IsNil() {
			for range csvHeader(t, "") {
				rec = append(rec, "")
			}
			return rec
		}
		v, t = v.Elem(), t.Elem()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if jsonName(f) == "" {
			continue
		}
		if nested(f.Type) {
			rec = csvRecord(v.Field(i), rec)
			continue
		}
		rec = append(rec, csvCell(v.Field(i)))
	}
	return rec
}

// csvCell formats one value: times RFC 3339 in UTC (zero or nil: empty),
// lists joined with ";", floats as short as they go.
func csvCell(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = csvCell(v.Index(i))
		}
		return strings.Join(parts, ";")
	}
	return fmt.Sprint(v.Interface())
}

// writeTable writes rows as a table (see package table): nothing cut off a
// terminal, the widest flex column cut to the terminal's width on one.
func writeTable[T any](a *App, rows []T, cols []column[T]) error {
	heads := make([]table.Column, len(cols))
	for i, c := range cols {
		heads[i] = table.Column{Head: c.head, Right: c.right, Flex: c.flex}
	}
	cells := make([][]string, len(rows))
	colors := make([][]string, len(rows))
	for k, r := range rows {
		cells[k], colors[k] = make([]string, len(cols)), make([]string, len(cols))
		for i, c := range cols {
			cells[k][i] = cleanCell(c.cell(r))
			if c.color != nil {
				colors[k][i] = c.color(r)
			}
		}
	}
	return table.Write(a.Out(), heads, cells, colors, table.Options{Width: tableWidth(a.Out()), Color: a.Color()})
}

// cleanCell makes text from the outside (a feed's title, an API's error)
// safe for one table cell (see table.Clean).
func cleanCell(s string) string { return table.Clean(s) }

// dash shows an empty cell as "-".
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// when shows a time relative to now ("3m ago", "in 9d 23h"), "-" when unset.
func when(t *time.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	d := t.Sub(now)
	if d < 0 {
		return short(-d) + " ago"
	}
	return "in " + short(d)
}

// ago is when for a time that may be zero (unset).
func ago(t time.Time, now time.Time) string { return when(&t, now) }

func short(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// iff returns code when cond holds and "" otherwise (for column colours).
func iff(cond bool, code string) string {
	if cond {
		return code
	}
	return ""
}

// utcPtr returns t in UTC for a row, nil when t is zero (JSON null, CSV
// empty, table "-").
func utcPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// cutText shortens s to n characters with "…".
func cutText(s string, n int) string {
	if rs := []rune(s); len(rs) > n {
		return string(rs[:n-1]) + "…"
	}
	return s
}

package bench

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteTable prints the report as a Markdown-style table (ready for the
// README), headed by the machine's core count.
func WriteTable(w io.Writer, rep Report) error {
	size := "full"
	if rep.Quick {
		size = "quick"
	}
	if _, err := fmt.Fprintf(w, "herald-bench (%s size): %d cores, %s, %s\n\n", size, rep.Cores, rep.OS, rep.GoVersion); err != nil {
		return err
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
	t.Header("scenario", "store", "size", "result", "target", "met")
	for _, r := range rep.Results {
		met, res := "no", r.Result
		switch {
		case r.Error != "":
			met, res = "ERROR", r.Error
		case r.Met:
			met = "yes"
		}
		if err := t.Append(r.Scenario, r.Store, r.Size, res, r.Target, met); err != nil {
			return err
		}
	}
	return t.Render()
}

// WriteJSON prints the report as indented JSON.
func WriteJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/herald"
	"github.com/heraldhq/herald/internal/rank/ranktest"
)

// TestReportByViews ranks the newsroom's stories by the page views counted
// for them: the table gets a VIEWS column, JSON a views figure, and a
// story without views is not in the ranking.
func TestReportByViews(t *testing.T) {
	w, p, cfg := newsroom(t)
	day := herald.ViewDay(ranktest.T0)
	views := map[string]int{"c": 4, "a": 2, "e": 3}
	for key, n := range views {
		id := p[key]["x_main"].ArticleID
		for i := range n {
			if _, err := w.Store.RecordViews(w.Ctx, []herald.View{{ArticleID: id, Day: day,
				Visitor: []byte(fmt.Sprintf("visitor-%06d-xx", i))}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var got []string
	for _, r := range jsonRows[herald.ReportRow](t, heraldOK(t, cfg, "report", "--by", "views", "--format", "json"), "stories") {
		got = append(got, fmt.Sprintf("%s=%d", strings.TrimPrefix(r.Title, "Story "), r.Views))
	}
	if strings.Join(got, " ") != "c=4 e=3 a=2" {
		t.Errorf("report --by views: %v, want c=4 e=3 a=2", got)
	}
	if out := heraldOK(t, cfg, "report", "--by", "views", "--since", "30m"); out != "No story published in the last 30m was viewed.\n" {
		t.Errorf("empty ranking by views: %q", out)
	}
	table := heraldOK(t, cfg, "report", "--by", "views")
	if !strings.Contains(strings.Split(table, "\n")[0], "VIEWS") || strings.Contains(table, "Story b") {
		t.Errorf("table by views:\n%s", table)
	}
}

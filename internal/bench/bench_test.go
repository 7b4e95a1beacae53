package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/emulator"
)

// TestQuick runs the quick suite (idle aside: it only waits) so that the
// benchmark never rots: every scenario must run without error and report
// its figures. Timing targets are not checked here.
func TestQuick(t *testing.T) {
	names := []string{"poll", "new-items", "burst", "webhook", "dispatch", "report"}
	if testing.Short() {
		names = []string{"burst", "webhook"}
	}
	dir := t.TempDir()
	rep, err := Run(t.Context(), Options{Quick: true, Scenarios: names, Dir: dir, CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) < len(names) {
		t.Fatalf("%d rows for %d scenarios", len(rep.Results), len(names))
	}
	for _, r := range rep.Results {
		if r.Error != "" {
			t.Errorf("%s: %s", r.Scenario, r.Error)
		}
		if r.Result == "" || r.Target == "" || r.Size == "" || len(r.Metrics) == 0 {
			t.Errorf("%s: incomplete row %+v", r.Scenario, r)
		}
	}
	if rep.Failed() || rep.Cores <= 0 {
		t.Errorf("failed %v, cores %d", rep.Failed(), rep.Cores)
	}
	var table, js bytes.Buffer
	if err := WriteTable(&table, rep); err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if !strings.Contains(table.String(), r.Scenario) {
			t.Errorf("table lacks %s:\n%s", r.Scenario, table.String())
		}
	}
	if err := WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Results) != len(rep.Results) {
		t.Errorf("JSON does not round-trip: %v\n%s", err, js.String())
	}
}

// TestUnknownScenario is refused before anything runs.
func TestUnknownScenario(t *testing.T) {
	if _, err := Run(t.Context(), Options{Quick: true, Scenarios: []string{"nope"}}); err == nil ||
		!strings.Contains(err.Error(), "unknown scenario") {
		t.Errorf("err = %v", err)
	}
}

// TestCheckPosts catches a duplicate, a stranger and a post out of order.
func TestCheckPosts(t *testing.T) {
	want := []string{"A story", "B story"}
	post := func(title string) apitestPost { return apitestPost{Text: title + " https://news.example/x"} }
	cases := []struct {
		posts   []apitestPost
		ordered bool
		ok      bool
	}{
		{[]apitestPost{post("A story"), post("B story")}, true, true},
		{[]apitestPost{post("B story"), post("A story")}, false, true},
		{[]apitestPost{post("B story"), post("A story")}, true, false},
		{[]apitestPost{post("A story"), post("A story")}, false, false},
		{[]apitestPost{post("A story"), post("C story")}, false, false},
		{[]apitestPost{post("A story")}, false, false},
	}
	for i, c := range cases {
		if _, err := checkPosts(c.posts, want, c.ordered); (err == nil) != c.ok {
			t.Errorf("case %d: err = %v, want ok=%v", i, err, c.ok)
		}
	}
}

type apitestPost = emulator.XPost

// TestProcFigures reads this process's CPU time and resident set the way
// the idle scenario reads its child's.
func TestProcFigures(t *testing.T) {
	cpu0, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		if cpu, _ := procCPU(os.Getpid()); cpu > cpu0 {
			break
		}
	}
	if cpu, err := procCPU(os.Getpid()); err != nil || cpu <= cpu0 {
		t.Errorf("cpu %v after %v, err %v", cpu, cpu0, err)
	}
	if r := procStatusOf(os.Getpid(), "VmRSS"); r <= 1<<20 {
		t.Errorf("VmRSS = %d", r)
	}
	if _, err := procCPU(-1); err == nil {
		t.Error("procCPU(-1): no error")
	}
}

package herald

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func TestPrepare(t *testing.T) {
	opinion, err := NewFilter(FilterRules{}, FilterRules{Categories: []string{"Opinion"}})
	if err != nil {
		t.Fatal(err)
	}
	sportsOnly, err := NewFilter(FilterRules{Sections: []string{"sports"}}, FilterRules{Title: []string{`(?i)^sponsored:`}})
	if err != nil {
		t.Fatal(err)
	}
	targets := []IntakeTarget{{Account: "x_main"}, {Account: "fb_page", Filter: opinion}}
	tests := []struct {
		name  string
		rules IntakeRules
		in    ArticleInput
		want  ArticleInput // Title, Priority, Stale, Announce, Targets, Skip
	}{
		{"new item goes to every target", IntakeRules{Targets: targets},
			ArticleInput{Title: "Storm"},
			ArticleInput{Title: "Storm", Announce: true, Targets: []string{"x_main", "fb_page"}}},
		{"plain text", IntakeRules{},
			ArticleInput{Title: "&amp;lt;script&amp;gt;x&amp;lt;/script&amp;gt;Storm \u202e hits"},
			ArticleInput{Title: "Storm hits", Announce: true}},
		{"breaking, any case", IntakeRules{Breaking: []string{" breaking news"}},
			ArticleInput{Title: "A", Categories: []string{"World", "Breaking News"}},
			ArticleInput{Title: "A", Priority: PriorityBreaking, Announce: true}},
		{"stale", IntakeRules{MaxAge: time.Hour},
			ArticleInput{Title: "A", PublishedAt: now.Add(-2 * time.Hour)},
			ArticleInput{Title: "A", Stale: true}},
		{"undated is never stale", IntakeRules{MaxAge: time.Hour},
			ArticleInput{Title: "A"},
			ArticleInput{Title: "A", Announce: true}},
		{"backlog is not announced", IntakeRules{Backlog: true},
			ArticleInput{Title: "A"},
			ArticleInput{Title: "A"}},
		{"targets named by the delivery are kept", IntakeRules{Targets: targets},
			ArticleInput{Title: "A", Targets: []string{"fb_page"}},
			ArticleInput{Title: "A", Announce: true, Targets: []string{"fb_page"}}},
		{"target filter", IntakeRules{Targets: targets},
			ArticleInput{Title: "A", Categories: []string{"opinion"}},
			ArticleInput{Title: "A", Announce: true, Targets: []string{"x_main", "fb_page"},
				Skip: map[string]string{"fb_page": "filtered (exclude categories: Opinion)"}}},
		{"source filter stops every target", IntakeRules{Source: "world", Targets: targets, Filter: sportsOnly},
			ArticleInput{Title: "A"},
			ArticleInput{Title: "A", Announce: true, Targets: []string{"x_main", "fb_page"},
				Skip: map[string]string{"x_main": "filtered (include: no rule matched)", "fb_page": "filtered (include: no rule matched)"}}},
		{"source filter lets through", IntakeRules{Source: "Sports", Targets: targets[:1], Filter: sportsOnly},
			ArticleInput{Title: "Final score"},
			ArticleInput{Title: "Final score", Announce: true, Targets: []string{"x_main"}}},
		{"exclude pattern on title", IntakeRules{Source: "sports", Targets: targets[:1], Filter: sportsOnly},
			ArticleInput{Title: "Sponsored: buy"},
			ArticleInput{Title: "Sponsored: buy", Announce: true, Targets: []string{"x_main"},
				Skip: map[string]string{"x_main": "filtered (exclude title: (?i)^sponsored:)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.rules.Prepare([]ArticleInput{tt.in}, now)[0]
			w := tt.want
			if got.Title != w.Title || got.Priority != w.Priority || got.Stale != w.Stale || got.Announce != w.Announce ||
				!slices.Equal(got.Targets, w.Targets) || fmt.Sprint(got.Skip) != fmt.Sprint(w.Skip) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
		})
	}
}

func TestPrepareBackfill(t *testing.T) {
	items := []ArticleInput{
		{Title: "old", PublishedAt: now.Add(-3 * time.Hour)},
		{Title: "newest", PublishedAt: now.Add(-time.Minute)},
		{Title: "stale", PublishedAt: now.Add(-72 * time.Hour)},
		{Title: "undated"},
		{Title: "middle", PublishedAt: now.Add(-time.Hour)},
	}
	IntakeRules{Backlog: true, Backfill: 2, MaxAge: 48 * time.Hour}.Prepare(items, now)
	var got []string
	for _, it := range items {
		if it.Announce {
			got = append(got, it.Title)
		}
	}
	if want := []string{"newest", "undated"}; !slices.Equal(got, want) {
		t.Errorf("announced %q, want %q", got, want)
	}
	IntakeRules{Backlog: true, Backfill: 5, MaxAge: 48 * time.Hour, MaxNew: 2}.Prepare(items, now)
	if items[2].Announce || !items[2].Stale {
		t.Errorf("a stale backlog item is announced: %+v", items[2])
	}
	for _, it := range items {
		if it.MaxNew != 0 {
			t.Errorf("the flood limit cuts the backfill the operator asked for: %+v", it)
		}
	}
	IntakeRules{MaxNew: 2}.Prepare(items, now)
	if items[0].MaxNew != 2 {
		t.Errorf("MaxNew = %d after first sight, want 2", items[0].MaxNew)
	}
}

func TestDecideItem(t *testing.T) {
	known := Article{ID: 7, URL: "https://example.com/a", GUID: "g1", Title: "Old", Summary: "Sum",
		Author: "Ann", Categories: []string{"World"}, Section: "world", PublishedAt: now.Add(-time.Hour),
		FirstSeenAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
	later := now.Add(1500 * time.Microsecond)
	tests := []struct {
		name    string
		it      ArticleInput
		f       Found
		new     bool
		changed bool
		alias   string
		check   func(a Article) string
	}{
		{"nothing found: a new story", ArticleInput{URL: "https://example.com/b", Title: "B", Categories: []string{}}, Found{},
			true, false, "", func(a Article) string {
				if a.ID != 0 || a.Section != "sports" || !a.PublishedAt.Equal(now) || a.Categories != nil {
					return "new article " + fmt.Sprint(a)
				}
				return ""
			}},
		{"found by URL, same fields: not changed", ArticleInput{URL: known.URL, Title: "Old"}, Found{OK: true, Article: known, ByURL: true},
			false, false, "", nil},
		{"an edit is never new", ArticleInput{URL: known.URL, Title: "New title", PublishedAt: now}, Found{OK: true, Article: known, ByURL: true},
			false, true, "", func(a Article) string {
				if a.Title != "New title" || a.Summary != "Sum" || !a.PublishedAt.Equal(known.PublishedAt) || !a.UpdatedAt.Equal(now) {
					return "edited " + fmt.Sprint(a)
				}
				return ""
			}},
		{"empty fields erase nothing", ArticleInput{URL: known.URL}, Found{OK: true, Article: known, ByURL: true},
			false, false, "", func(a Article) string {
				if a.Author != "Ann" || !slices.Equal(a.Categories, []string{"World"}) {
					return "erased " + fmt.Sprint(a)
				}
				return ""
			}},
		{"found by GUID under a new URL: moves, keeps an alias", ArticleInput{URL: "https://example.com/a2", GUID: "g1"},
			Found{OK: true, Article: known}, false, true, known.URL, func(a Article) string {
				if a.URL != "https://example.com/a2" || a.ID != 7 {
					return "moved " + fmt.Sprint(a)
				}
				return ""
			}},
		{"categories replaced", ArticleInput{URL: known.URL, Categories: []string{"Sports"}}, Found{OK: true, Article: known, ByURL: true},
			false, true, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DecideItem(tt.it, tt.f, "sports", now)
			if d.New != tt.new || d.Changed != tt.changed || d.Alias != tt.alias {
				t.Fatalf("got new %v changed %v alias %q", d.New, d.Changed, d.Alias)
			}
			if tt.check != nil {
				if msg := tt.check(d.Article); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
	if d := DecideItem(ArticleInput{URL: "u"}, Found{}, "s", later); !d.Article.FirstSeenAt.Equal(now.Add(time.Millisecond)) {
		t.Errorf("times are not kept to the millisecond: %v", d.Article.FirstSeenAt)
	}
	if d := DecideItem(ArticleInput{URL: known.URL, Categories: []string{"X"}}, Found{OK: true, Article: known, ByURL: true}, "s", now); known.Categories[0] != "World" || d.Article.Categories[0] != "X" {
		t.Error("the found article is changed in place")
	}
}

func TestPlanJobs(t *testing.T) {
	it := ArticleInput{Announce: true, Targets: []string{"x_main", "", "fb_page", "x_main"}, Priority: PriorityBreaking,
		Skip: map[string]string{"fb_page": "filtered (exclude categories: Opinion)"}}
	want := []PlannedJob{{Account: "x_main", Priority: PriorityBreaking},
		{Account: "fb_page", Priority: PriorityBreaking, SkipReason: "filtered (exclude categories: Opinion)"}}
	tests := []struct {
		name          string
		it            ArticleInput
		a             Article
		isNew, linked bool
		want          []PlannedJob
	}{
		{"new story", it, Article{}, true, true, want},
		{"new to this source", it, Article{}, false, true, want},
		{"an edit gets none", it, Article{}, false, false, nil},
		{"not announced", ArticleInput{Targets: it.Targets}, Article{}, true, true, nil},
		{"stale item", ArticleInput{Announce: true, Stale: true, Targets: it.Targets}, Article{}, true, true, nil},
		{"stale article", it, Article{Stale: true}, false, true, nil},
		{"no targets", ArticleInput{Announce: true}, Article{}, true, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlanJobs(tt.it, tt.a, tt.isNew, tt.linked); !slices.Equal(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFlooded(t *testing.T) {
	items := func(n, limit int) []ArticleInput {
		out := make([]ArticleInput, n)
		for i := range out {
			// Feeds list newest first; the last item is the oldest.
			out[i] = ArticleInput{Title: fmt.Sprint(i), PublishedAt: now.Add(-time.Duration(i) * time.Minute), MaxNew: limit}
		}
		return out
	}
	ones := func(n int) []int {
		p := make([]int, n)
		for i := range p {
			p[i] = 1
		}
		return p
	}
	tests := []struct {
		name    string
		items   []ArticleInput
		pending []int
		want    string // flooded indexes
	}{
		{"no limit", items(20, 0), ones(20), "[]"},
		{"at the limit", items(3, 3), ones(3), "[]"},
		{"the oldest go", items(5, 3), ones(5), "[3 4]"},
		{"edits do not count", items(5, 3), []int{0, 1, 0, 1, 1}, "[]"},
		{"edits do not count, beyond", items(6, 2), []int{0, 1, 0, 1, 1, 2}, "[4 5]"},
		{"newest by date, not by order", func() []ArticleInput {
			it := items(3, 1)
			it[2].PublishedAt = now.Add(30 * time.Second)
			return it
		}(), ones(3), "[0 1]"},
		{"500 in one push", items(500, 10), ones(500), fmt.Sprint(rangeInts(10, 500))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			for i, f := range Flooded(tt.items, tt.pending, now) {
				if f {
					got = append(got, i)
				}
			}
			if s := fmt.Sprint(got); s != tt.want && !(got == nil && tt.want == "[]") {
				t.Errorf("flooded %s, want %s", s, tt.want)
			}
		})
	}
}

func rangeInts(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestNewFilterNamesTheKey(t *testing.T) {
	_, err := NewFilter(FilterRules{Title: []string{"ok"}}, FilterRules{URL: []string{"fine", "(unclosed"}})
	if err == nil || !strings.HasPrefix(err.Error(), "exclude.url[1]: ") {
		t.Fatalf("err = %v, want one naming exclude.url[1]", err)
	}
	if f, err := NewFilter(FilterRules{}, FilterRules{}); f != nil || err != nil {
		t.Errorf("empty rules = %v, %v; want nil, nil", f, err)
	}
	var none *Filter
	if r := none.Stops(&ArticleInput{}, "x"); r != "" {
		t.Errorf("a nil filter stops: %q", r)
	}
	f, _ := NewFilter(FilterRules{}, FilterRules{Authors: []string{"Staff"}, URL: []string{`/sponsored/`}})
	for _, tc := range []struct {
		it   ArticleInput
		want string
	}{
		{ArticleInput{Author: "staff"}, "exclude authors: Staff"},
		{ArticleInput{URL: "https://example.com/sponsored/x"}, "exclude url: /sponsored/"},
		{ArticleInput{Author: "Ann", URL: "https://example.com/news/x"}, ""},
	} {
		if got := f.Stops(&tc.it, "world"); got != tc.want {
			t.Errorf("Stops(%+v) = %q, want %q", tc.it, got, tc.want)
		}
	}
}

func TestCreatedJobsSkips(t *testing.T) {
	items := []ArticleInput{
		{URL: "a", PublishedAt: now, MaxNew: 1},
		{URL: "b", PublishedAt: now.Add(-time.Minute), MaxNew: 1},
		{URL: "a-again", PublishedAt: now.Add(-time.Hour), MaxNew: 1}, // matched article 1 again
		{URL: "c", PublishedAt: now.Add(-2 * time.Minute), MaxNew: 1},
	}
	results := []SaveResult{{Article: Article{ID: 1}}, {Article: Article{ID: 2}}, {Article: Article{ID: 1}}, {Article: Article{ID: 3}}}
	var c CreatedJobs
	c.Add(1, 10, "")
	c.Add(1, 11, "")
	c.Add(2, 20, "")
	c.Add(2, 21, "filtered (exclude categories: Opinion)")
	c.Add(3, 30, "filtered (exclude authors: Wire)")
	got := fmt.Sprint(c.Skips(items, results, now))
	if want := "[{flood [20]} {filtered (exclude authors: Wire) [30]} {filtered (exclude categories: Opinion) [21]}]"; got != want {
		t.Errorf("Skips = %s, want %s", got, want)
	}
	for i, want := range []bool{false, true, false, false} {
		if results[i].Flood != want {
			t.Errorf("result %d: flood %v", i, results[i].Flood)
		}
	}
	var none CreatedJobs
	if s := none.Skips(items, results, now); s != nil {
		t.Errorf("no jobs: Skips = %v", s)
	}
}

// TestDecideItemEditTime: an item the source edited before the version
// stored is not applied; an equal or later one is, and moves the stored
// edit time forward; without an edit time on either side, as before.
func TestDecideItemEditTime(t *testing.T) {
	edit := now.Add(-10 * time.Minute)
	known := Article{ID: 7, URL: "https://example.com/a", Title: "Newer", Summary: "Sum",
		PublishedAt: now.Add(-time.Hour), FirstSeenAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Minute),
		SourceUpdatedAt: edit}
	undated := known
	undated.SourceUpdatedAt = time.Time{}
	found := func(a Article) Found { return Found{OK: true, Article: a, ByURL: true} }
	tests := []struct {
		name     string
		it       ArticleInput
		f        Found
		skipped  bool
		changed  bool
		write    bool
		title    string
		editedAt time.Time
	}{
		{"older edit: not applied", ArticleInput{URL: known.URL, Title: "Older", UpdatedAt: edit.Add(-time.Second)}, found(known),
			true, false, false, "Newer", edit},
		{"older by a millisecond: not applied", ArticleInput{URL: known.URL, Title: "Older", UpdatedAt: edit.Add(-time.Millisecond)}, found(known),
			true, false, false, "Newer", edit},
		{"same edit time: applied", ArticleInput{URL: known.URL, Title: "Same time", UpdatedAt: edit.Add(500 * time.Microsecond)}, found(known),
			false, true, true, "Same time", edit},
		{"newer edit: applied", ArticleInput{URL: known.URL, Title: "Newest", UpdatedAt: edit.Add(time.Minute)}, found(known),
			false, true, true, "Newest", edit.Add(time.Minute)},
		{"newer edit, same fields: only the edit time moves", ArticleInput{URL: known.URL, Title: "Newer", UpdatedAt: edit.Add(time.Minute)}, found(known),
			false, false, true, "Newer", edit.Add(time.Minute)},
		{"no edit time on the item: as before", ArticleInput{URL: known.URL, Title: "Undated"}, found(known),
			false, true, true, "Undated", edit},
		{"no edit time stored: applied, and kept", ArticleInput{URL: known.URL, Title: "Dated", UpdatedAt: edit.Add(-time.Hour)}, found(undated),
			false, true, true, "Dated", edit.Add(-time.Hour)},
		{"a new story keeps its edit time", ArticleInput{URL: "https://example.com/b", Title: "B", UpdatedAt: edit}, Found{},
			false, false, false, "B", edit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DecideItem(tt.it, tt.f, "sports", now)
			if (d.Skipped != "") != tt.skipped || d.Changed != tt.changed || d.Write != tt.write {
				t.Fatalf("got skipped %q changed %v write %v, want skipped %v changed %v write %v",
					d.Skipped, d.Changed, d.Write, tt.skipped, tt.changed, tt.write)
			}
			if tt.skipped && (!strings.HasPrefix(d.Skipped, SkipStaleEdit+": ") || !strings.Contains(d.Skipped, edit.Format(time.RFC3339))) {
				t.Errorf("reason %q does not name the stale edit and the stored time", d.Skipped)
			}
			if d.Article.Title != tt.title || !d.Article.SourceUpdatedAt.Equal(tt.editedAt) {
				t.Errorf("article title %q edited at %v, want %q at %v", d.Article.Title, d.Article.SourceUpdatedAt, tt.title, tt.editedAt)
			}
			if tt.skipped && !d.Article.UpdatedAt.Equal(known.UpdatedAt) {
				t.Errorf("a stale edit moved Herald's update time to %v", d.Article.UpdatedAt)
			}
		})
	}
}

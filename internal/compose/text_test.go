package compose

import (
	"reflect"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/testkit"
)

func TestHashtags(t *testing.T) {
	tests := []struct {
		cats []string
		n    int
		want []string
	}{
		{[]string{"world news"}, 3, []string{"#WorldNews"}},
		{[]string{"economía", "Ciudad de México"}, 3, []string{"#Economía", "#CiudadDeMéxico"}},
		{[]string{"U.S. politics", "covid-19", "rock'n'roll"}, 3, []string{"#USPolitics", "#Covid19", "#RockNRoll"}},
		{[]string{"World News", "world news", "WORLD  NEWS", "world-news"}, 5, []string{"#WorldNews"}},
		{[]string{"2024", "---", "", "#Mexico"}, 5, []string{"#Mexico"}},
		{[]string{"a", "b", "c", "d"}, 2, []string{"#A", "#B"}},
		{[]string{"Peña &amp; Nieto"}, 1, []string{"#PeñaNieto"}},
		{[]string{"東京", "日本 経済"}, 2, []string{"#東京", "#日本経済"}},
		{[]string{"C++", "C#", "Disney+", "Programming"}, 3, []string{"#Programming"}},
		{[]string{"5% rule", "$ and ¢", "Q&A", "AT&T", "F#"}, 5, []string{"#QA", "#ATT"}},
		{[]string{"news"}, 0, nil},
		{nil, 3, nil},
	}
	for _, tt := range tests {
		if got := Hashtags(tt.cats, tt.n); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Hashtags(%q, %d) = %q, want %q", tt.cats, tt.n, got, tt.want)
		}
	}
}

func TestContainsTag(t *testing.T) {
	tests := []struct {
		text, tag string
		want      bool
	}{
		{"Hoy #Mexico gana", "#Mexico", true},
		{"Hoy #mexico", "#Mexico", true},
		{"Hoy #MexicoCity", "#Mexico", false},
		{"Hoy Mexico", "#Mexico", false},
		{"#", "#Mexico", false},
	}
	for _, tt := range tests {
		if got := containsTag(tt.text, tt.tag); got != tt.want {
			t.Errorf("containsTag(%q, %q) = %v", tt.text, tt.tag, got)
		}
	}
}

func TestTagURL(t *testing.T) {
	utm := UTM{Source: "twitter", Medium: "social", Campaign: "herald auto"}
	tests := []struct {
		link string
		utm  UTM
		want string
	}{
		{"https://ex.com/a", utm, "https://ex.com/a?utm_source=twitter&utm_medium=social&utm_campaign=herald+auto"},
		{"https://ex.com/a?z=1&b=2", utm, "https://ex.com/a?z=1&b=2&utm_source=twitter&utm_medium=social&utm_campaign=herald+auto"},
		{"https://ex.com/a?b=%20x#frag", UTM{Source: "x"}, "https://ex.com/a?b=%20x&utm_source=x#frag"},
		{"https://ex.com/a?utm_source=feed", utm, "https://ex.com/a?utm_source=feed&utm_medium=social&utm_campaign=herald+auto"},
		{"https://ex.com/a?utm%5Fsource=feed", UTM{Source: "x"}, "https://ex.com/a?utm%5Fsource=feed"},
		{"https://ex.com/a?", UTM{Medium: "m"}, "https://ex.com/a?utm_medium=m"},
		{"https://ex.com/a", UTM{}, "https://ex.com/a"},
		{"mailto:a@example.com", utm, "mailto:a@example.com"},
		{"", utm, ""},
	}
	for _, tt := range tests {
		if got := TagURL(tt.link, tt.utm); got != tt.want {
			t.Errorf("TagURL(%q) = %q, want %q", tt.link, got, tt.want)
		}
	}
}

func TestPlainAndTidy(t *testing.T) {
	testkit.Table(t, "plain", plain, map[string]string{
		"Peña Nieto &amp; Videgaray": "Peña Nieto & Videgaray",
		"  a \n b\t c ":              "a b c",
		"&quot;x&quot; &#8212; y":    "\"x\" — y",
		"Pen\u0303a":                 "Peña",
		"":                           "",
	})
	if got := tidy("  a  b \n c  "); got != "a b \n c" {
		t.Errorf("tidy = %q", got)
	}
}

func TestCuts(t *testing.T) {
	if got, want := wordCuts("Peña Nieto, hoy."), []int{5, 11, 16}; !reflect.DeepEqual(got, want) {
		t.Errorf("wordCuts = %v, want %v", got, want)
	}
	if got, want := wordCuts("東京都"), []int{3, 6}; !reflect.DeepEqual(got, want) {
		t.Errorf("wordCuts(CJK) = %v, want %v", got, want)
	}
	// A ZWJ family is one grapheme: no cut inside it.
	if got, want := graphemeCuts("a👨‍👩‍👧b"), []int{1, 1 + len("👨‍👩‍👧")}; !reflect.DeepEqual(got, want) {
		t.Errorf("graphemeCuts = %v, want %v", got, want)
	}
}

// TestSegmentsMatchTemplate: the concatenating renderer gives what
// text/template gives, and is used only for plain field templates.
func TestSegmentsMatchTemplate(t *testing.T) {
	d := Data{Title: "Peña & <b>", URL: storyURL, Summary: "S {{.x}}", Section: "mx", Hashtags: "#A #B", Author: "Ana"}
	for text, plainOnly := range map[string]bool{
		"{{.Title}} {{.URL}}": true,
		"ICYMI: {{.Title}}\n{{.Hashtags}} {{.URL}} — {{.Author}}": true,
		"[{{.Section}}] {{.Summary}}{{.Title}}":                   true,
		"{{- .Title -}} {{.URL}}":                                 true,
		"{{/* note */}}{{.Title}}":                                true,
		"{{if .Summary}}{{.Summary}}{{end}} {{.URL}}":             false,
		"{{.Title | printf \"%.10s\"}} {{.URL}}":                  false,
		"{{define \"x\"}}{{.Title}}{{end}}{{template \"x\" .}}":   false,
		"{{with .Author}}by {{.}}{{end}}":                         false,
	} {
		tm, err := parseTemplate("t", text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if (tm.segs != nil) != plainOnly {
			t.Errorf("%q: segments %v, want %v", text, tm.segs != nil, plainOnly)
		}
		if tm.segs == nil {
			continue
		}
		var want strings.Builder
		if err := tm.t.Execute(&want, &d); err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		renderSegments(&got, tm.segs, &d)
		if got.String() != want.String() {
			t.Errorf("%q: segments give %q, template %q", text, got.String(), want.String())
		}
	}
}

// TestSearch: with a monotonic predicate, search finds the last index that
// holds from any guess, in few probes when the guess is right.
func TestSearch(t *testing.T) {
	for n := 0; n <= 40; n++ {
		for last := -1; last < n; last++ {
			for guess := -1; guess <= n; guess++ {
				probes := 0
				got := search(n, guess, func(i int) bool {
					if i < 0 || i >= n {
						t.Fatalf("probe %d outside [0, %d)", i, n)
					}
					probes++
					return i <= last
				})
				if got != last {
					t.Fatalf("search(n=%d, guess=%d) = %d, want %d", n, guess, got, last)
				}
				if guess == last && last >= 0 && last < n-1 && probes != 2 {
					t.Errorf("right guess took %d probes", probes)
				}
			}
		}
	}
}
